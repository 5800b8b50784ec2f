package dev.lookahead4j.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuGetErrorString;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuOccupancyMaxActiveBlocksPerMultiprocessor;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import dev.lookahead4j.Device;
import dev.lookahead4j.backend.Backend;
import dev.lookahead4j.backend.Buffer;
import dev.lookahead4j.backend.GroupRange;
import dev.lookahead4j.backend.PreparedStep;
import dev.lookahead4j.backend.RuleKind;
import dev.lookahead4j.backend.StepArgs;
import dev.lookahead4j.backend.StepBuffers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;

/**
 * The CUDA backend, on JCuda's driver API alone.
 *
 * <ul>
 *   <li><b>Context:</b> the device's primary context ({@code cuDevicePrimaryCtxRetain}), the one the CUDA
 *       runtime, PyTorch and cuBLAS use, so memory and pointers are shared with other CUDA code in the
 *       process. Every call makes it current on the calling thread first.</li>
 *   <li><b>Kernels:</b> the PTX resources in the jar ({@code dev/lookahead4j/cuda/*.ptx}, built from
 *       {@code cuda-kernels/} by {@code native/Makefile}), JIT-compiled by the driver when the backend
 *       opens. A build made without nvcc has none, and {@link #open} says so.</li>
 *   <li><b>Memory:</b> one {@code cuMemAlloc} per buffer ({@link CudaBuffer}), zero-filled; everything
 *       still allocated is freed by {@link #close()}.</li>
 *   <li><b>Stream:</b> steps, fills and device copies are enqueued on {@link #stream()} (the backend's
 *       own stream unless {@link #setStream} chose another) and return at once; reads, writes and
 *       reductions wait for it.</li>
 * </ul>
 */
public final class CudaBackend implements Backend {
    private static volatile String driverLoadFailure;

    private final int ordinal;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final String name;
    private final int multiprocessors, ccMajor, ccMinor;
    private final Properties buildInfo;
    private final List<CUmodule> modules = new ArrayList<>();
    private final java.util.Map<String, CUmodule> extraModules = new java.util.HashMap<>();
    private final CUfunction[] stepFunctions = new CUfunction[RuleKind.values().length];
    private final int[] stepBlocksPerSm = new int[RuleKind.values().length];
    private CUfunction syncFunction, sumsqPartial, distsqPartial, nonfinitePartial, reduceFinal;
    private int syncBlocksPerSm, reduceBlocksPerSm;
    private final CUstream ownStream = new CUstream();
    private volatile CUstream stream;
    private final Set<CudaBuffer> live = ConcurrentHashMap.newKeySet();
    private CudaBuffer scratch;
    private volatile boolean closed;

    /**
     * Opens CUDA device {@code ordinal}: loads the driver, retains its primary context, loads the
     * kernels. Throws {@link IllegalStateException} saying why and what to do when there is no driver,
     * no such device, no kernels in this build, or a driver too old for them.
     */
    public static CudaBackend open(int ordinal) {
        if (ordinal < 0) throw new IllegalArgumentException("Invalid CUDA device ordinal: " + ordinal + " (must be >= 0)");
        Properties info = buildInfo();
        if (info == null || resource(KernelNames.STEP_PTX) == null) {
            throw new IllegalStateException("this build has no kernels: lookahead4j was built without nvcc, so the jar "
                    + "holds no PTX (" + KernelNames.RESOURCE_DIR + "*.ptx); rebuild it with the CUDA toolkit's nvcc on "
                    + "the PATH (or NVCC=/path/to/nvcc) to use CUDA, or use Device.cpu()");
        }
        loadDriver();
        int r = cuInit(0);
        if (r == CUresult.CUDA_ERROR_NO_DEVICE) {
            throw new IllegalStateException("no CUDA device: the driver is installed but sees no GPU (cuInit: " + errorName(r) + ")");
        }
        if (r == CUresult.CUDA_ERROR_SYSTEM_DRIVER_MISMATCH || r == CUresult.CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE) {
            throw new IllegalStateException("the CUDA driver cannot run on this system (cuInit: " + errorName(r)
                    + "): install an NVIDIA driver that matches the kernel module");
        }
        check(r, "cuInit");
        int[] count = new int[1];
        check(cuDeviceGetCount(count), "cuDeviceGetCount");
        if (count[0] == 0) throw new IllegalStateException("no CUDA device: the driver sees no GPU");
        if (ordinal >= count[0]) {
            throw new IllegalStateException("no CUDA device " + ordinal + ": this machine has " + count[0]
                    + " (valid ordinals 0.." + (count[0] - 1) + ")");
        }
        return new CudaBackend(ordinal, info);
    }

    /** The CUDA backend of {@code device}; {@link IllegalArgumentException} if it is not a CUDA device. */
    public static CudaBackend of(Device device) {
        if (device == null) throw new IllegalArgumentException("Invalid device: null");
        if (!(device.backend() instanceof CudaBackend c)) {
            throw new IllegalArgumentException("Invalid device: " + device.describe() + " is not a CUDA device");
        }
        return c;
    }

    private CudaBackend(int ordinal, Properties info) {
        this.ordinal = ordinal;
        this.buildInfo = info;
        check(cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        byte[] nameBytes = new byte[256];
        check(cuDeviceGetName(nameBytes, nameBytes.length, device), "cuDeviceGetName");
        int len = 0;
        while (len < nameBytes.length && nameBytes[len] != 0) len++;
        this.name = new String(nameBytes, 0, len, StandardCharsets.UTF_8);
        this.multiprocessors = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        this.ccMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        this.ccMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        boolean ok = false;
        try {
            makeCurrent();
            CUmodule step = loadModule(KernelNames.STEP_PTX);
            CUmodule reduce = loadModule(KernelNames.REDUCE_PTX);
            for (RuleKind k : RuleKind.values()) {
                stepFunctions[k.id] = function(step, KernelNames.step(k));
                stepBlocksPerSm[k.id] = blocksPerSm(stepFunctions[k.id], KernelNames.STEP_THREADS);
            }
            syncFunction = function(step, KernelNames.SYNC);
            syncBlocksPerSm = blocksPerSm(syncFunction, KernelNames.STEP_THREADS);
            sumsqPartial = function(reduce, KernelNames.SUMSQ_PARTIAL);
            distsqPartial = function(reduce, KernelNames.DISTSQ_PARTIAL);
            nonfinitePartial = function(reduce, KernelNames.NONFINITE_PARTIAL);
            reduceFinal = function(reduce, KernelNames.REDUCE_FINAL);
            reduceBlocksPerSm = blocksPerSm(distsqPartial, KernelNames.REDUCE_THREADS);
            check(cuStreamCreate(ownStream, 0), "cuStreamCreate");
            stream = ownStream;
            ok = true;
        } finally {
            if (!ok) {
                for (CUmodule m : modules) cuModuleUnload(m);
                cuDevicePrimaryCtxRelease(device);
            }
        }
    }

    // ------------------------------------------------------------------ Backend

    @Override
    public Buffer allocate(String what, long length) {
        if (length < 0 || length > Long.MAX_VALUE / 8) {
            throw new IllegalArgumentException("Invalid buffer length for " + what + ": " + length + " (must be >= 0)");
        }
        CudaBuffer b = allocateBytes(what, Math.max(length, 1) * 4L, length);
        return b;
    }

    /** Allocates {@code bytes} (zero-filled) holding {@code length} floats; the message on failure names the sizes. */
    CudaBuffer allocateBytes(String what, long bytes, long length) {
        checkOpen();
        makeCurrent();
        DevicePointer p = new DevicePointer();
        int r = cuMemAlloc(p, bytes);
        if (r == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            long[] free = new long[1], total = new long[1];
            cuMemGetInfo(free, total);
            throw new IllegalStateException("out of CUDA device memory allocating " + what + ": asked " + bytes + " bytes ("
                    + mib(bytes) + "), " + free[0] + " bytes (" + mib(free[0]) + ") free of " + total[0] + " on "
                    + describe() + "; this device holds " + live.size() + " buffers of lookahead4j (" + mib(liveBytes()) + ")");
        }
        check(r, "cuMemAlloc(" + bytes + " bytes for " + what + ")");
        r = cuMemsetD32Async(p, 0, bytes / 4, stream);
        if (r == CUresult.CUDA_SUCCESS) r = cuStreamSynchronize(stream);
        if (r != CUresult.CUDA_SUCCESS) {
            cuMemFree(p);
            check(r, "zero-filling " + what);
        }
        CudaBuffer b = new CudaBuffer(this, what, p, length, bytes);
        live.add(b);
        return b;
    }

    @Override
    public PreparedStep prepare(RuleKind rule, StepBuffers buffers, GroupRange[] groups, StepArgs args) {
        checkOpen();
        return new CudaStep(this, rule, buffers, groups, args);
    }

    @Override
    public String describe() {
        return "cuda:" + ordinal + " " + name + " (sm_" + ccMajor + ccMinor + ", " + multiprocessors + " SMs)";
    }

    @Override public boolean asynchronous() { return true; }

    @Override
    public void synchronize() {
        checkOpen();
        makeCurrent();
        check(cuStreamSynchronize(stream), "a kernel or copy on the stream (cuStreamSynchronize)");
    }

    /**
     * Frees every buffer still allocated, the stream and the modules, and releases the primary
     * context. Idempotent. Waits for enqueued work first.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        cuCtxSetCurrent(context);
        cuStreamSynchronize(stream);
        if (stream != ownStream) cuStreamSynchronize(ownStream);
        for (CudaBuffer b : new ArrayList<>(live)) b.free();
        live.clear();
        cuStreamDestroy(ownStream);
        for (CUmodule m : modules) cuModuleUnload(m);
        modules.clear();
        extraModules.clear();
        cuDevicePrimaryCtxRelease(device);
    }

    // ------------------------------------------------------------------ CUDA specifics

    /** The stream steps are enqueued on. */
    public CUstream stream() { return stream; }

    /**
     * Enqueues later steps, fills and copies on {@code s} (a stream of this device's primary context),
     * or on the backend's own stream again when {@code s} is null. Waits for the work already on the
     * current stream first, so the order of operations is kept.
     */
    public synchronized void setStream(CUstream s) {
        checkOpen();
        makeCurrent();
        check(cuStreamSynchronize(stream), "cuStreamSynchronize");
        stream = s == null ? ownStream : s;
    }

    /**
     * The module of the PTX resource {@code resource} (a file name in {@link KernelNames#RESOURCE_DIR},
     * e.g. {@code "mlp.ptx"}), for other kernels of this project that share the device and its stream
     * (the training demo's MLP). Loaded on first use with the same checks and messages as the
     * optimizer's kernels (missing resource, driver too old for the PTX, ...), then cached; unloaded by
     * {@link #close()}.
     */
    public synchronized CUmodule module(String resource) {
        if (resource == null || resource.isEmpty()) throw new IllegalArgumentException("Invalid PTX resource name: " + resource);
        checkOpen();
        makeCurrent();
        CUmodule m = extraModules.get(resource);
        if (m == null) {
            m = loadModule(resource);
            extraModules.put(resource, m);
        }
        return m;
    }

    /** The device's primary context (shared with the CUDA runtime and other libraries). */
    public CUcontext context() { return context; }

    /** The device ordinal. */
    public int ordinal() { return ordinal; }

    /** Number of streaming multiprocessors (the step grids are sized from it). */
    public int multiprocessors() { return multiprocessors; }

    /** {@code {free, total}} device memory in bytes ({@code cuMemGetInfo}). */
    public long[] memoryInfo() {
        checkOpen();
        makeCurrent();
        long[] free = new long[1], total = new long[1];
        check(cuMemGetInfo(free, total), "cuMemGetInfo");
        return new long[] {free[0], total[0]};
    }

    /** Bytes held by this backend's live buffers. */
    public long liveBytes() {
        long s = 0;
        for (CudaBuffer b : live) s += b.bytes();
        return s;
    }

    /** What the kernels were built with: toolkit, PTX ISA, target (from the jar's kernels.properties). */
    public String kernelBuild() {
        return "CUDA " + buildInfo.getProperty("toolkit", "?") + ", PTX ISA " + buildInfo.getProperty("ptx.isa", "?")
                + ", " + buildInfo.getProperty("ptx.target", "?");
    }

    // ------------------------------------------------------------------ internal

    void makeCurrent() { cuCtxSetCurrent(context); }

    void checkOpen() {
        if (closed) throw new IllegalStateException("device is closed: cuda:" + ordinal);
    }

    void forget(CudaBuffer b) { live.remove(b); }

    CUfunction stepFunction(RuleKind rule) { return stepFunctions[rule.id]; }
    int stepBlocksPerSm(RuleKind rule) { return stepBlocksPerSm[rule.id]; }
    CUfunction syncFunction() { return syncFunction; }
    int syncBlocksPerSm() { return syncBlocksPerSm; }
    CUfunction sumsqPartial() { return sumsqPartial; }
    CUfunction distsqPartial() { return distsqPartial; }
    CUfunction nonfinitePartial() { return nonfinitePartial; }
    CUfunction reduceFinal() { return reduceFinal; }
    int reduceBlocksPerSm() { return reduceBlocksPerSm; }

    /** A device scratch area of at least {@code bytes}, shared by the reductions of all steps; grows. */
    synchronized CudaBuffer scratch(long bytes) {
        if (scratch == null || scratch.bytes() < bytes) {
            if (scratch != null) scratch.close();
            scratch = null;
            scratch = allocateBytes("reduction scratch", bytes, bytes / 4);
        }
        return scratch;
    }

    private int attribute(int a) {
        int[] v = new int[1];
        check(cuDeviceGetAttribute(v, a, device), "cuDeviceGetAttribute(" + a + ")");
        return v[0];
    }

    private CUfunction function(CUmodule m, String symbol) {
        CUfunction f = new CUfunction();
        check(cuModuleGetFunction(f, m, symbol), "cuModuleGetFunction(" + symbol + ")");
        return f;
    }

    private static int blocksPerSm(CUfunction f, int threads) {
        int[] n = new int[1];
        check(cuOccupancyMaxActiveBlocksPerMultiprocessor(n, f, threads, 0), "cuOccupancyMaxActiveBlocksPerMultiprocessor");
        return Math.max(1, n[0]);
    }

    private CUmodule loadModule(String resource) {
        byte[] ptx = resource(resource);
        if (ptx == null) {
            throw new IllegalStateException("this build has no kernels: " + KernelNames.RESOURCE_DIR + resource
                    + " is missing from the class path; rebuild lookahead4j with nvcc on the PATH");
        }
        byte[] z = new byte[ptx.length + 1];
        System.arraycopy(ptx, 0, z, 0, ptx.length);
        CUmodule m = new CUmodule();
        int r = cuModuleLoadData(m, z);
        if (r == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION) {
            throw new IllegalStateException("the CUDA driver is too old for this build's kernels (" + resource + ": "
                    + errorName(r) + "): they were compiled by " + kernelBuild() + ", and this driver supports CUDA "
                    + driverVersion() + ". Update the NVIDIA driver to one that supports CUDA "
                    + buildInfo.getProperty("toolkit", "?") + " (CUDA 13.0 needs driver 580 or newer), or rebuild "
                    + "lookahead4j with a CUDA toolkit no newer than the driver (NVCC=/usr/local/cuda-12.x/bin/nvcc mvn package)");
        }
        if (r == CUresult.CUDA_ERROR_INVALID_PTX || r == CUresult.CUDA_ERROR_JIT_COMPILER_NOT_FOUND
                || r == CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU || r == CUresult.CUDA_ERROR_JIT_COMPILATION_DISABLED) {
            throw new IllegalStateException("the CUDA driver could not compile this build's kernels for " + name
                    + " (sm_" + ccMajor + ccMinor + "; " + resource + ": " + errorName(r) + "; built by " + kernelBuild()
                    + ", driver supports CUDA " + driverVersion() + ")");
        }
        check(r, "cuModuleLoadData(" + resource + ")");
        modules.add(m);
        return m;
    }

    private static String driverVersion() {
        int[] v = new int[1];
        if (cuDriverGetVersion(v) != CUresult.CUDA_SUCCESS) return "?";
        return v[0] / 1000 + "." + (v[0] % 1000) / 10;
    }

    static byte[] resource(String name) {
        try (InputStream in = CudaBackend.class.getResourceAsStream(KernelNames.RESOURCE_DIR + name)) {
            if (in == null) return null;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the kernel resource " + name, e);
        }
    }

    private static Properties buildInfo() {
        byte[] b = resource(KernelNames.BUILD_INFO);
        if (b == null) return null;
        Properties p = new Properties();
        try {
            p.load(new java.io.ByteArrayInputStream(b));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /** Loads JCuda's driver binding (and with it libcuda.so.1), turning a failure into a clear message. */
    private static void loadDriver() {
        String failure = driverLoadFailure;
        if (failure == null) {
            try {
                cuDriverGetVersion(new int[1]); // loads the binding; changes no global JCuda setting
                return;
            } catch (LinkageError e) {
                String m = String.valueOf(e.getMessage());
                String why = m.contains("libcuda.so") ? "libcuda.so.1 was not found"
                        : m.lines().findFirst().orElse(e.toString());
                failure = "no CUDA driver: JCuda's driver binding could not be loaded (" + why
                        + "); install the NVIDIA driver (libcuda.so.1) to use a GPU, or use Device.cpu()";
                driverLoadFailure = failure;
                throw new IllegalStateException(failure, e);
            }
        }
        throw new IllegalStateException(failure);
    }

    static String errorName(int r) {
        String[] desc = new String[1];
        String n = CUresult.stringFor(r);
        if (cuGetErrorString(r, desc) == CUresult.CUDA_SUCCESS && desc[0] != null) return n + ": " + desc[0];
        return n;
    }

    static void check(int r, String what) {
        if (r != CUresult.CUDA_SUCCESS) throw new IllegalStateException("CUDA " + what + " failed: " + errorName(r));
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    /** A {@link CUdeviceptr} that tells its raw address. */
    static final class DevicePointer extends CUdeviceptr {
        long address() { return getNativePointer(); }
    }
}
