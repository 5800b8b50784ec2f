package dev.lookahead4j.train;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A small fixed pool of worker threads for the MLP's matrix products: {@link #run(Task)} calls the
 * task once per worker index (the calling thread is worker 0) and returns when all are done. A call
 * allocates nothing: tasks are prebuilt objects, the hand-off is a volatile generation counter, and
 * idle workers spin briefly, then park (short spins, so that they do not hold a core while the
 * optimizer's own pool runs its step).
 *
 * <p>Work is split by {@link #range}: a fixed partition of the rows, so which thread computes an
 * element never changes how it is computed (results do not depend on the thread count).
 */
final class Parallel implements AutoCloseable {
    /** Work for one worker index in [0, workers). */
    interface Task {
        void run(int worker, int workers);
    }

    private static final int SPINS = 2_000;

    private final int size;
    private final Thread[] threads;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Task task;
    private volatile long generation;
    private volatile boolean closed;
    private volatile Thread waiter;
    private volatile Throwable failure;

    Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("Invalid threads: " + threads + " (must be >= 1)");
        this.size = threads;
        this.threads = new Thread[threads - 1];
        for (int w = 1; w < threads; w++) {
            final int id = w;
            Thread t = new Thread(() -> loop(id), "lookahead4j-train-" + w);
            t.setDaemon(true);
            this.threads[w - 1] = t;
            t.start();
        }
    }

    int size() { return size; }

    /** The start of worker {@code w}'s share of {@code n} rows split in blocks of {@code block} rows. */
    static int range(int n, int block, int w, int workers) {
        int blocks = (n + block - 1) / block;
        return Math.min(n, (int) ((long) blocks * w / workers) * block);
    }

    /** Runs {@code t} on every worker; rethrows a worker's failure. */
    void run(Task t) {
        if (closed) throw new IllegalStateException("thread pool is closed");
        if (size == 1) {
            t.run(0, 1);
            return;
        }
        failure = null;
        task = t;
        waiter = Thread.currentThread();
        pending.set(size - 1);
        generation = generation + 1;
        for (Thread th : threads) LockSupport.unpark(th);
        Throwable own = null;
        try {
            t.run(0, size);
        } catch (Throwable e) {
            own = e;
        }
        int spins = 0;
        while (pending.get() != 0) {
            if (++spins < SPINS) Thread.onSpinWait();
            else LockSupport.parkNanos(this, 20_000L);
        }
        task = null;
        Throwable f = own != null ? own : failure;
        if (f instanceof RuntimeException re) throw re;
        if (f instanceof Error er) throw er;
        if (f != null) throw new IllegalStateException(f);
    }

    private void loop(int id) {
        long seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (++spins < SPINS) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            if (closed) return;
            seen = generation;
            try {
                task.run(id, size);
            } catch (Throwable e) {
                failure = e;
            }
            if (pending.decrementAndGet() == 0) LockSupport.unpark(waiter);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Thread th : threads) LockSupport.unpark(th);
    }
}
