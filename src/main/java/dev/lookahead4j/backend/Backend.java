package dev.lookahead4j.backend;

/**
 * What a device must provide: flat buffers and a prepared, fused step over them.
 * The CPU implementation is {@link dev.lookahead4j.cpu.CpuBackend}; the CUDA one lives in
 * {@code dev.lookahead4j.cuda}.
 */
public interface Backend extends AutoCloseable {
    /** A zero-filled buffer of {@code length} floats. Throws {@link OutOfMemoryError}-like
     *  {@link IllegalStateException} with the sizes when the memory cannot be had. */
    Buffer allocate(String what, long length);

    /**
     * Prepares the fused step of {@code rule} over {@code groups} of {@code buffers}: everything that
     * can be built once (partitions, kernel-parameter pointers) is built here, so that
     * {@link PreparedStep#step} allocates nothing.
     */
    PreparedStep prepare(RuleKind rule, StepBuffers buffers, GroupRange[] groups, StepArgs args);

    /** A short human-readable description ("cpu (2 threads)", "cuda:0 NVIDIA H200"). */
    String describe();

    /** True for backends whose step returns before the work is done (CUDA streams). */
    default boolean asynchronous() { return false; }

    /** Waits until all enqueued work on this backend is complete. */
    default void synchronize() { }

    @Override
    void close();
}
