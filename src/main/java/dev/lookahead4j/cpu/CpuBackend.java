package dev.lookahead4j.cpu;

import dev.lookahead4j.backend.Backend;
import dev.lookahead4j.backend.Buffer;
import dev.lookahead4j.backend.GroupRange;
import dev.lookahead4j.backend.PreparedStep;
import dev.lookahead4j.backend.RuleKind;
import dev.lookahead4j.backend.StepArgs;
import dev.lookahead4j.backend.StepBuffers;

/** The pure-Java backend: Java arrays and one parallel pass per step on a fixed worker pool. */
public final class CpuBackend implements Backend {
    /** Largest arena a CPU buffer can hold (one Java array). */
    public static final long MAX_LENGTH = Integer.MAX_VALUE - 64;

    private final WorkerPool pool;
    private volatile boolean closed;

    public CpuBackend(int threads) {
        if (threads < 1) throw new IllegalArgumentException("Invalid thread count: " + threads + " (must be >= 1)");
        this.pool = new WorkerPool(threads, "lookahead4j-cpu");
    }

    public int threads() { return pool.size(); }

    WorkerPool pool() {
        if (closed) throw new IllegalStateException("device is closed");
        return pool;
    }

    @Override
    public Buffer allocate(String what, long length) {
        if (closed) throw new IllegalStateException("device is closed");
        if (length < 0 || length > MAX_LENGTH) {
            throw new IllegalArgumentException("Invalid buffer length for " + what + ": " + length
                    + " (the CPU backend holds at most " + MAX_LENGTH + " elements per buffer)");
        }
        try {
            return new HostBuffer((int) length);
        } catch (OutOfMemoryError e) {
            throw new IllegalStateException("out of Java heap allocating " + what + ": " + length * 4L
                    + " bytes; max heap " + Runtime.getRuntime().maxMemory() + " bytes (raise -Xmx)", e);
        }
    }

    @Override
    public PreparedStep prepare(RuleKind rule, StepBuffers buffers, GroupRange[] groups, StepArgs args) {
        return new CpuStep(this, rule, buffers, groups, args);
    }

    /**
     * The benchmark baseline: one parallel pass over four arrays with the same partition and worker pool
     * as a step, reading p, g, m, v and writing p, m, v with trivial arithmetic (Adam's memory traffic
     * without its math). Used by {@code bench} to show how close a step gets to the memory bound.
     */
    public void bareAdamLikePass(float[] p, float[] g, float[] m, float[] v) {
        int n = p.length;
        int threads = pool.size();
        pool().run(w -> {
            int from = (int) ((long) n * w / threads / 16 * 16);
            int to = w == threads - 1 ? n : (int) ((long) n * (w + 1) / threads / 16 * 16);
            for (int i = from; i < to; i++) {
                float gi = g[i];
                float mi = m[i] + gi;
                float vi = v[i] + gi;
                m[i] = mi;
                v[i] = vi;
                p[i] = p[i] + (mi - vi);
            }
        });
    }

    @Override
    public String describe() { return "cpu (" + pool.size() + " threads)"; }

    @Override
    public void close() {
        closed = true;
        pool.close();
    }
}
