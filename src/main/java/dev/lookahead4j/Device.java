package dev.lookahead4j;

import dev.lookahead4j.backend.Backend;
import dev.lookahead4j.cpu.CpuBackend;
import java.lang.ref.Cleaner;
import java.util.Optional;

/**
 * Where an arena's memory lives and where steps run: the CPU (a pool of worker threads) or a CUDA
 * GPU. A device is {@link AutoCloseable}; close it after the arenas built on it. {@link #close()} is
 * idempotent; afterwards {@link #backend()}, {@link #synchronize()} and every arena on the device throw
 * {@link IllegalStateException} ({@link #kind()}, {@link #describe()}, {@link #isClosed()} still answer).
 * A device that is garbage-collected without {@code close()} is reported as a leak (a WARNING on the
 * {@code System.Logger} "dev.lookahead4j", with where it was created); a leaked CPU device's worker
 * threads are then stopped.
 */
public final class Device implements AutoCloseable {
    /** The kind of device. */
    public enum Kind { CPU, CUDA }

    /** Reports (and, where safe, releases) devices and arenas that were never closed. */
    static final Cleaner CLEANER = Cleaner.create();
    private static final System.Logger LOG = System.getLogger("dev.lookahead4j");

    private final Backend backend;
    private final Kind kind;
    private volatile boolean closed;
    private final LeakCheck leak;
    private final Cleaner.Cleanable cleanable;

    private Device(Backend backend, Kind kind) {
        this.backend = backend;
        this.kind = kind;
        this.leak = new LeakCheck("Device[" + backend.describe() + "]", kind == Kind.CPU ? backend : null);
        this.cleanable = CLEANER.register(this, leak);
    }

    /**
     * A device over a caller-supplied backend (SPI: other backends, and tests that wrap the CPU backend
     * to inject failures). The device owns the backend and closes it.
     */
    public static Device of(Backend backend, Kind kind) {
        if (backend == null) throw new IllegalArgumentException("Invalid backend: null");
        if (kind == null) throw new IllegalArgumentException("Invalid kind: null (CPU or CUDA)");
        return new Device(backend, kind);
    }

    /**
     * The cleaning action of a device or arena: runs once, either from {@code close()} (then it does
     * nothing but unregister) or when the owner became unreachable unclosed (then it reports the leak and
     * closes {@code release}, if any). It must not refer to its owner.
     */
    static final class LeakCheck implements Runnable {
        private final String what;
        private final AutoCloseable release;
        private final Throwable createdAt;
        volatile boolean closedExplicitly;

        LeakCheck(String what, AutoCloseable release) {
            this.what = what;
            this.release = release;
            this.createdAt = new Throwable("created here");
        }

        @Override
        public void run() {
            if (closedExplicitly) return;
            LOG.log(System.Logger.Level.WARNING, "lookahead4j: " + what + " was garbage-collected without close()"
                    + (release != null ? "; released it now" : "; its memory is freed when its device is closed")
                    + ". Close it (try-with-resources) when done.", createdAt);
            if (release != null) {
                try {
                    release.close();
                } catch (Exception | Error e) {
                    LOG.log(System.Logger.Level.WARNING, "lookahead4j: releasing leaked " + what + " failed", e);
                }
            }
        }
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

    /** Frees the device (the CPU's worker threads, the CUDA context); idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        leak.closedExplicitly = true;
        cleanable.clean();
        backend.close();
    }

    @Override
    public String toString() { return "Device[" + backend.describe() + "]"; }
}
