package dev.lookahead4j.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import dev.lookahead4j.backend.Buffer;
import dev.lookahead4j.backend.GroupRange;
import dev.lookahead4j.backend.PreparedStep;
import dev.lookahead4j.backend.RuleKind;
import dev.lookahead4j.backend.StepArgs;
import dev.lookahead4j.backend.StepBuffers;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;

/**
 * A prepared CUDA step: one launch per parameter group per step, everything built here once.
 *
 * <p>Each launcher's argument list mirrors its kernel's signature in {@code cuda-kernels/*.cu}. Every
 * argument lives in its own small direct buffer; the per-group {@code LaStepArgs} struct (17 words:
 * {@code float s[12]; int flags; int sync; float alpha; float one_minus_alpha; int pullback}) is
 * rewritten in place before each launch. {@code cuLaunchKernel} copies the arguments when it
 * enqueues, so {@link #step()} allocates nothing and does not wait for the GPU.
 */
final class CudaStep implements PreparedStep {
    /** Bytes of the kernels' {@code LaStepArgs}. */
    static final int ARGS_BYTES = (StepArgs.MAX_SCALARS + 5) * 4;
    private static final int OFF_FLAGS = 48, OFF_SYNC = 52, OFF_ALPHA = 56, OFF_ONE_MINUS_ALPHA = 60, OFF_PULLBACK = 64;

    private final CudaBackend backend;
    private final RuleKind rule;
    private final StepArgs args;
    private final GroupRange[] groups;
    private final boolean hasS0, hasS2, hasSlow, hasCache;
    private final CUfunction stepFn;
    private final String stepLaunch; // the error message's subject, built once: step() allocates nothing

    private final ByteBuffer[] stepStruct;
    private final Pointer[] stepParams;
    private final int[] stepGrid;

    private final ByteBuffer syncAlpha = direct(4), syncOneMinusAlpha = direct(4), syncPullback = direct(4);
    private final Pointer[] syncParams;
    private final int[] syncGrid;

    // reductions: group g writes its chunk partials at partialBase[g] of the scratch area
    private final long[] partialBase;
    private final int[] reduceGrid;
    private final long totalChunks;
    private final Pointer[] sumsqParams, distsqParams, nonfiniteParams;
    private final ByteBuffer partialsAddr = direct(8), outAddr = direct(8);
    private final ByteBuffer[] partialsAt;
    private final Pointer finalParams;
    private final double[] hostOut = new double[1];
    private final Pointer hostOutPtr = Pointer.to(hostOut);
    private CudaBuffer resultScratch; // the scratch area resultPtr points into
    private CUdeviceptr resultPtr;

    CudaStep(CudaBackend backend, RuleKind rule, StepBuffers b, GroupRange[] groups, StepArgs args) {
        if (rule == null) throw new IllegalArgumentException("Invalid rule: null");
        if (b == null || b.params() == null || b.grads() == null) throw new IllegalArgumentException("Invalid buffers: params and grads are required");
        if (args == null || groups == null || args.scalars.length != groups.length || args.flags.length != groups.length) {
            throw new IllegalArgumentException("Invalid step arguments: one scalar row and one flag word per group are required ("
                    + (groups == null ? "no" : groups.length) + " groups)");
        }
        this.backend = backend;
        this.rule = rule;
        this.args = args;
        this.groups = groups.clone();
        long length = b.params().length();
        for (Buffer x : new Buffer[] {b.params(), b.grads(), b.s0(), b.s1(), b.s2(), b.slow(), b.cache()}) {
            if (x == null) continue;
            if (!(x instanceof CudaBuffer c) || c.deviceOrdinal() != backend.ordinal()) {
                throw new IllegalArgumentException("Invalid buffer " + x + ": a buffer of " + backend.describe() + " is needed");
            }
            if (x.length() != length) throw new IllegalArgumentException("Invalid buffer " + x + ": length " + x.length() + ", the params have " + length);
        }
        for (GroupRange g : groups) {
            if (g.end() > length) throw new IllegalArgumentException("Invalid group range [" + g.start() + ", " + g.end() + "): the buffers have " + length + " elements");
        }
        boolean needS1 = rule != RuleKind.SGD;
        boolean needS0 = rule == RuleKind.ADAM || rule == RuleKind.RADAM || rule == RuleKind.NADAM;
        if ((needS1 && b.s1() == null) || (needS0 && b.s0() == null)) {
            throw new IllegalArgumentException("Invalid buffers for " + rule + ": s0 " + (b.s0() != null) + ", s1 " + (b.s1() != null));
        }
        this.hasS0 = b.s0() != null;
        this.hasS2 = b.s2() != null;
        this.hasSlow = b.slow() != null;
        this.hasCache = b.cache() != null;
        this.stepFn = backend.stepFunction(rule);
        this.stepLaunch = "launch of " + KernelNames.step(rule);

        int n = groups.length;
        int sms = backend.multiprocessors();
        stepStruct = new ByteBuffer[n];
        stepParams = new Pointer[n];
        stepGrid = new int[n];
        syncParams = new Pointer[n];
        syncGrid = new int[n];
        partialBase = new long[n];
        reduceGrid = new int[n];
        partialsAt = new ByteBuffer[n];
        sumsqParams = new Pointer[n];
        distsqParams = new Pointer[n];
        nonfiniteParams = new Pointer[n];
        long chunks = 0;
        for (int g = 0; g < n; g++) {
            long start = groups[g].start(), end = groups[g].end(), len = end - start;
            stepStruct[g] = direct(ARGS_BYTES);
            // la_step_*(p, g, s0, s1, s2, slow, cache, long long start, long long end, LaStepArgs a)
            stepParams[g] = Pointer.to(addr(b.params()), addr(b.grads()), addr(b.s0()), addr(b.s1()), addr(b.s2()),
                    addr(b.slow()), addr(b.cache()), int64(start), int64(end), Pointer.to(stepStruct[g]));
            stepGrid[g] = grid((len + 3) / 4, KernelNames.STEP_THREADS, (long) sms * backend.stepBlocksPerSm(rule));
            // la_sync(p, m, slow, cache, long long start, long long end, float alpha, float one_minus_alpha, int pullback)
            syncParams[g] = Pointer.to(addr(b.params()), addr(b.s0()), addr(b.slow()), addr(b.cache()), int64(start), int64(end),
                    Pointer.to(syncAlpha), Pointer.to(syncOneMinusAlpha), Pointer.to(syncPullback));
            syncGrid[g] = grid(len, KernelNames.STEP_THREADS, (long) sms * backend.syncBlocksPerSm());
            long groupChunks = (len + KernelNames.REDUCE_CHUNK - 1) / KernelNames.REDUCE_CHUNK;
            partialBase[g] = chunks;
            chunks += groupChunks;
            reduceGrid[g] = (int) Math.max(1, Math.min(groupChunks, (long) sms * backend.reduceBlocksPerSm()));
            partialsAt[g] = direct(8);
            // la_sumsq_partial(x, start, end, partials); la_distsq_partial(x, y, start, end, partials); la_nonfinite_partial(x, ...)
            sumsqParams[g] = Pointer.to(addr(b.grads()), int64(start), int64(end), Pointer.to(partialsAt[g]));
            distsqParams[g] = Pointer.to(addr(b.params()), addr(b.slow()), int64(start), int64(end), Pointer.to(partialsAt[g]));
            nonfiniteParams[g] = Pointer.to(addr(b.grads()), int64(start), int64(end), Pointer.to(partialsAt[g]));
        }
        totalChunks = chunks;
        // la_reduce_final(partials, long long n, out)
        finalParams = Pointer.to(Pointer.to(partialsAddr), int64(chunks), Pointer.to(outAddr));
    }

    @Override
    public void step() {
        StepArgs a = args;
        if (a.sync && !hasSlow) throw new IllegalStateException("a sync step needs the slow-weights buffer, and this step has none");
        backend.checkOpen();
        backend.makeCurrent();
        CUstream s = backend.stream();
        for (int g = 0; g < stepParams.length; g++) {
            int f = a.flags[g];
            if (!hasS0 && usesS0(f)) throw new IllegalStateException(rule + " with momentum needs the s0 buffer, and this step has none");
            if (!hasS2 && usesS2(f)) throw new IllegalStateException(rule + " with AMSGrad/centered needs the s2 buffer, and this step has none");
            if (a.sync && a.pullback == RuleKind.PULLBACK_PULLBACK && usesS0(f) && !hasCache) {
                throw new IllegalStateException("the PULLBACK policy needs the cache buffer, and this step has none");
            }
            ByteBuffer st = stepStruct[g];
            float[] sc = a.scalars[g];
            for (int k = 0; k < StepArgs.MAX_SCALARS; k++) st.putFloat(4 * k, sc[k]);
            st.putInt(OFF_FLAGS, f);
            st.putInt(OFF_SYNC, a.sync ? 1 : 0);
            st.putFloat(OFF_ALPHA, a.alpha);
            st.putFloat(OFF_ONE_MINUS_ALPHA, a.oneMinusAlpha);
            st.putInt(OFF_PULLBACK, a.pullback);
            if (groups[g].length() == 0) continue;
            CudaBackend.check(cuLaunchKernel(stepFn, stepGrid[g], 1, 1, KernelNames.STEP_THREADS, 1, 1, 0, s, stepParams[g], null),
                    stepLaunch);
        }
    }

    private boolean usesS0(int f) {
        return switch (rule) {
            case ADAM, RADAM, NADAM -> true;
            case SGD, RMSPROP -> (f & RuleKind.F_MOMENTUM) != 0;
            default -> false;
        };
    }

    private boolean usesS2(int f) {
        return (rule == RuleKind.ADAM && (f & RuleKind.F_AMSGRAD) != 0) || (rule == RuleKind.RMSPROP && (f & RuleKind.F_CENTERED) != 0);
    }

    @Override
    public void syncOnly() {
        if (!hasSlow) throw new IllegalStateException("a sync needs the slow-weights buffer, and this step has none");
        StepArgs a = args;
        if (hasS0 && a.pullback == RuleKind.PULLBACK_PULLBACK && !hasCache) {
            throw new IllegalStateException("the PULLBACK policy needs the cache buffer, and this step has none");
        }
        backend.checkOpen();
        backend.makeCurrent();
        syncAlpha.putFloat(0, a.alpha);
        syncOneMinusAlpha.putFloat(0, a.oneMinusAlpha);
        syncPullback.putInt(0, a.pullback);
        CUstream s = backend.stream();
        for (int g = 0; g < syncParams.length; g++) {
            if (groups[g].length() == 0) continue;
            CudaBackend.check(cuLaunchKernel(backend.syncFunction(), syncGrid[g], 1, 1, KernelNames.STEP_THREADS, 1, 1, 0, s,
                    syncParams[g], null), "launch of " + KernelNames.SYNC);
        }
    }

    @Override
    public boolean gradientsFinite() {
        return reduce(backend.nonfinitePartial(), nonfiniteParams) == 0.0;
    }

    @Override
    public double gradientSquaredNorm() {
        return reduce(backend.sumsqPartial(), sumsqParams);
    }

    @Override
    public double slowDistanceSquared() {
        if (!hasSlow) return 0.0;
        return reduce(backend.distsqPartial(), distsqParams);
    }

    /** Partials of every group into the scratch area, then one final block; blocks for the result. */
    private double reduce(CUfunction partial, Pointer[] params) {
        synchronized (backend) { // the scratch area is the backend's
            return reduceLocked(partial, params);
        }
    }

    private double reduceLocked(CUfunction partial, Pointer[] params) {
        backend.checkOpen();
        backend.makeCurrent();
        // scratch: [totalChunks partials][1 result], doubles
        CudaBuffer scratch = backend.scratch((totalChunks + 1) * 8L);
        long base = scratch.deviceAddress();
        partialsAddr.putLong(0, base);
        outAddr.putLong(0, base + totalChunks * 8L);
        CUstream s = backend.stream();
        for (int g = 0; g < params.length; g++) {
            if (groups[g].length() == 0) continue;
            partialsAt[g].putLong(0, base + partialBase[g] * 8L);
            CudaBackend.check(cuLaunchKernel(partial, reduceGrid[g], 1, 1, KernelNames.REDUCE_THREADS, 1, 1, 0, s, params[g], null),
                    "launch of a reduction");
        }
        CudaBackend.check(cuLaunchKernel(backend.reduceFinal(), 1, 1, 1, KernelNames.REDUCE_THREADS, 1, 1, 0, s, finalParams, null),
                "launch of " + KernelNames.REDUCE_FINAL);
        CudaBackend.check(cuStreamSynchronize(s), "a reduction (cuStreamSynchronize)");
        if (scratch != resultScratch) { // built when the scratch area changes, not every call
            resultPtr = scratch.pointer().withByteOffset(totalChunks * 8L);
            resultScratch = scratch;
        }
        CudaBackend.check(cuMemcpyDtoH(hostOutPtr, resultPtr, 8), "reading a reduction");
        return hostOut[0];
    }

    private static int grid(long work, int threads, long maxBlocks) {
        long blocks = (work + threads - 1) / threads;
        return (int) Math.max(1, Math.min(blocks, Math.min(maxBlocks, Integer.MAX_VALUE)));
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    /** A kernel argument holding the raw device address of {@code b} (0 for null). */
    private static Pointer addr(Buffer b) {
        ByteBuffer x = direct(8);
        x.putLong(0, b == null ? 0L : ((CudaBuffer) b).deviceAddress());
        return Pointer.to(x);
    }

    private static Pointer int64(long v) {
        ByteBuffer x = direct(8);
        x.putLong(0, v);
        return Pointer.to(x);
    }
}
