package dev.lookahead4j;

import dev.lookahead4j.backend.Backend;
import dev.lookahead4j.cpu.CpuBackend;
import java.util.Optional;

/**
 * Where an arena's memory lives and where steps run: the CPU (a pool of worker threads) or a CUDA
 * GPU. A device is {@link AutoCloseable}; close it after the arenas built on it.
 */
public final class Device implements AutoCloseable {
    /** The kind of device. */
    public enum Kind { CPU, CUDA }

    private final Backend backend;
    private final Kind kind;
    private volatile boolean closed;

    private Device(Backend backend, Kind kind) {
        this.backend = backend;
        this.kind = kind;
    }

    /** The CPU with one worker per available processor. */
    public static Device cpu() {
        return cpu(Runtime.getRuntime().availableProcessors());
    }

    /** The CPU with {@code threads} workers (the calling thread is one of them). */
    public static Device cpu(int threads) {
        if (threads < 1) throw new IllegalArgumentException("Invalid threads: " + threads + " (must be >= 1)");
        return new Device(new CpuBackend(threads), Kind.CPU);
    }

    /**
     * CUDA device {@code ordinal}. Throws {@link IllegalStateException} saying why when there is no
     * driver, no such device or no kernels in this build.
     */
    public static Device cuda(int ordinal) {
        return new Device(CudaSupport.open(ordinal), Kind.CUDA);
    }

    /** CUDA device 0 when it works, else the CPU ({@link #cudaUnavailableReason()} says why). */
    public static Device best() {
        try {
            return cuda(0);
        } catch (RuntimeException | LinkageError e) {
            CudaSupport.rememberFailure(e);
            return cpu();
        }
    }

    /** Why the last {@link #best()} fell back to the CPU, if it did. */
    public static Optional<String> cudaUnavailableReason() {
        return CudaSupport.lastFailure();
    }

    public Kind kind() { return kind; }

    /** E.g. "cpu (2 threads)" or "cuda:0 NVIDIA H200". */
    public String describe() { return backend.describe(); }

    /** The backend (internal SPI; not a stable API). */
    public Backend backend() {
        if (closed) throw new IllegalStateException("device is closed: " + backend.describe());
        return backend;
    }

    /** Waits until all work enqueued on this device is done (a no-op on the CPU). */
    public void synchronize() { backend().synchronize(); }

    public boolean isClosed() { return closed; }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        backend.close();
    }

    @Override
    public String toString() { return "Device[" + backend.describe() + "]"; }
}
