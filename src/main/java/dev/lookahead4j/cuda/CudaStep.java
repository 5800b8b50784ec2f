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
 * A prepared CUDA step: one launch per step for all parameter groups (one per {@link #MAX_GROUPS}
 * groups beyond that), everything built here once.
 *
 * <p>Each launcher's argument list mirrors its kernel's signature in {@code cuda-kernels/*.cu}. Every
 * argument lives in its own small direct buffer. The step kernels take the groups by value as
 * {@code LaGroups} (step.cu): {@code int count}, then per group {@code long long start, end; int
 * first_block, blocks;} and its {@code LaStepArgs} (17 words: {@code float s[12]; int flags; int sync;
 * float alpha; float one_minus_alpha; int pullback}). The ranges and block shares are written once
 * here; the scalars are rewritten in place before each launch. {@code cuLaunchKernel} copies the
 * arguments when it enqueues, so {@link #step()} allocates nothing and does not wait for the GPU.
 */
final class CudaStep implements PreparedStep {
    /** Bytes of the kernels' {@code LaStepArgs}. */
    static final int ARGS_BYTES = (StepArgs.MAX_SCALARS + 5) * 4;
    private static final int OFF_FLAGS = 48, OFF_SYNC = 52, OFF_ALPHA = 56, OFF_ONE_MINUS_ALPHA = 60, OFF_PULLBACK = 64;
    /** Groups per launch, step.cu's {@code LA_MAX_GROUPS}. */
    static final int MAX_GROUPS = 32;
    /** Bytes of a {@code LaGroup} and of {@code LaGroups} (step.cu's static_asserts say the same). */
    static final int GROUP_BYTES = 96, GROUPS_BYTES = 8 + MAX_GROUPS * GROUP_BYTES;
    private static final int OFF_GROUP = 8, OFF_START = 0, OFF_END = 8, OFF_FIRST_BLOCK = 16, OFF_BLOCKS = 20, OFF_ARGS = 24;

    private final CudaBackend backend;
    private final RuleKind rule;
    private final StepArgs args;
    private final GroupRange[] groups;
    private final boolean hasS0, hasS2, hasSlow, hasCache;
    private final CUfunction stepFn;
    private final String stepLaunch; // the error message's subject, built once: step() allocates nothing

    // launch b covers the groups launchGroups[b] (non-empty ones, in order); its LaGroups is launchStruct[b]
    private final int[][] launchGroups;
    private final ByteBuffer[] launchStruct;
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
        // the step launches: the non-empty groups, MAX_GROUPS at a time, the grid shared by size
        int[] nonEmpty = java.util.stream.IntStream.range(0, n).filter(g -> groups[g].length() > 0).toArray();
        int launches = (nonEmpty.length + MAX_GROUPS - 1) / MAX_GROUPS;
        launchGroups = new int[launches][];
        launchStruct = new ByteBuffer[launches];
        stepParams = new Pointer[launches];
        stepGrid = new int[launches];
        long maxBlocks = Math.max(1, (long) sms * backend.stepBlocksPerSm(rule));
        for (int l = 0; l < launches; l++) {
            int[] members = java.util.Arrays.copyOfRange(nonEmpty, l * MAX_GROUPS, Math.min(nonEmpty.length, (l + 1) * MAX_GROUPS));
            launchGroups[l] = members;
            int[] blocks = shareBlocks(members, groups, maxBlocks);
            ByteBuffer m = direct(GROUPS_BYTES);
            m.putInt(0, members.length);
            int first = 0;
            for (int k = 0; k < members.length; k++) {
                int at = OFF_GROUP + k * GROUP_BYTES;
                m.putLong(at + OFF_START, groups[members[k]].start());
                m.putLong(at + OFF_END, groups[members[k]].end());
                m.putInt(at + OFF_FIRST_BLOCK, first);
                m.putInt(at + OFF_BLOCKS, blocks[k]);
                first += blocks[k];
            }
            launchStruct[l] = m;
            stepGrid[l] = first;
            // la_step_*(p, g, s0, s1, s2, slow, cache, LaGroups m)
            stepParams[l] = Pointer.to(addr(b.params()), addr(b.grads()), addr(b.s0()), addr(b.s1()), addr(b.s2()),
                    addr(b.slow()), addr(b.cache()), Pointer.to(m));
        }
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
        for (int g = 0; g < groups.length; g++) {
            int f = a.flags[g];
            if (!hasS0 && usesS0(f)) throw new IllegalStateException(rule + " with momentum needs the s0 buffer, and this step has none");
            if (!hasS2 && usesS2(f)) throw new IllegalStateException(rule + " with AMSGrad/centered needs the s2 buffer, and this step has none");
            if (a.sync && a.pullback == RuleKind.PULLBACK_PULLBACK && usesS0(f) && !hasCache) {
                throw new IllegalStateException("the PULLBACK policy needs the cache buffer, and this step has none");
            }
        }
        CUstream s = backend.stream();
        for (int l = 0; l < stepParams.length; l++) {
            ByteBuffer st = launchStruct[l];
            int[] members = launchGroups[l];
            for (int k = 0; k < members.length; k++) {
                int at = OFF_GROUP + k * GROUP_BYTES + OFF_ARGS, g = members[k];
                float[] sc = a.scalars[g];
                for (int j = 0; j < StepArgs.MAX_SCALARS; j++) st.putFloat(at + 4 * j, sc[j]);
                st.putInt(at + OFF_FLAGS, a.flags[g]);
                st.putInt(at + OFF_SYNC, a.sync ? 1 : 0);
                st.putFloat(at + OFF_ALPHA, a.alpha);
                st.putFloat(at + OFF_ONE_MINUS_ALPHA, a.oneMinusAlpha);
                st.putInt(at + OFF_PULLBACK, a.pullback);
            }
            CudaBackend.check(cuLaunchKernel(stepFn, stepGrid[l], 1, 1, KernelNames.STEP_THREADS, 1, 1, 0, s, stepParams[l], null),
                    stepLaunch);
        }
    }

    /** Kernel launches per step (one per {@link #MAX_GROUPS} non-empty groups). */
    int launches() { return stepParams.length; }

    /**
     * Blocks for each of {@code members}: what its float4s need at {@link KernelNames#STEP_THREADS}
     * threads a block, or, when the launch would exceed {@code maxBlocks} (a full wave), a share of
     * them in proportion to that need; at least one each.
     */
    static int[] shareBlocks(int[] members, GroupRange[] groups, long maxBlocks) {
        long[] need = new long[members.length];
        long total = 0;
        for (int k = 0; k < members.length; k++) {
            long float4s = (groups[members[k]].length() + 3) / 4;
            need[k] = Math.max(1, (float4s + KernelNames.STEP_THREADS - 1) / KernelNames.STEP_THREADS);
            total += need[k];
        }
        int[] out = new int[members.length];
        for (int k = 0; k < members.length; k++) {
            // at most maxBlocks (a multiprocessor count times blocks per multiprocessor): fits an int
            out[k] = (int) (total <= maxBlocks ? need[k] : Math.max(1, (long) ((double) maxBlocks * need[k] / total)));
        }
        return out;
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
