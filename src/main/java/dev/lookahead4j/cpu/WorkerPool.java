package dev.lookahead4j.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of worker threads that run one task at a time, split by worker index. The calling
 * thread is worker 0. Dispatch allocates nothing: the task is a prebuilt object, hand-off is a
 * volatile generation counter, workers spin briefly (a few microseconds, so that an idle pool does not
 * hold a core others need) and then park. Used by the CPU backend and by the training demo's matrix
 * products.
 */
public final class WorkerPool implements AutoCloseable {
    /** A unit of parallel work: called once per worker index in [0, {@link #size()}). */
    public interface Task {
        void run(int worker);
    }

    private static final int SPINS = 2_000;

    private final int size;
    private final Thread[] threads;
    private volatile Task task;
    private volatile long generation;
    private volatile boolean closed;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Thread waiter;
    private volatile Throwable failure;

    /** A pool of {@code size} workers (the caller plus size - 1 daemon threads named {@code name-N}). */
    public WorkerPool(int size, String name) {
        if (size < 1) throw new IllegalArgumentException("Invalid thread count: " + size + " (must be >= 1)");
        this.size = size;
        this.threads = new Thread[size - 1];
        for (int w = 1; w < size; w++) {
            final int id = w;
            Thread t = new Thread(() -> loop(id), name + "-" + w);
            t.setDaemon(true);
            threads[w - 1] = t;
            t.start();
        }
    }

    /** Number of workers, the calling thread included. */
    public int size() { return size; }

    /** Runs {@code t} on all workers and returns when all are done; rethrows a worker's failure. */
    public synchronized void run(Task t) {
        if (closed) throw new IllegalStateException("device is closed");
        if (size == 1) {
            t.run(0);
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
            t.run(0);
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
                task.run(id);
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
