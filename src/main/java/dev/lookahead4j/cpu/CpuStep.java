package dev.lookahead4j.cpu;

import dev.lookahead4j.backend.Buffer;
import dev.lookahead4j.backend.GroupRange;
import dev.lookahead4j.backend.PreparedStep;
import dev.lookahead4j.backend.RuleKind;
import dev.lookahead4j.backend.StepArgs;
import dev.lookahead4j.backend.StepBuffers;

/**
 * A prepared CPU step. The groups' ranges are cut into fixed blocks of {@link #BLOCK} elements
 * (independent of the thread count); each worker takes a contiguous run of blocks. The gradient norm
 * and the slow distance add in the CUDA reductions' order ({@link ReductionOrder}: fixed chunks per
 * group, 256 lanes and a tree per chunk, the same over the chunks' partials), so they do not depend on
 * the number of threads and equal the CUDA backend's to the last bit.
 */
final class CpuStep implements PreparedStep {
    static final int BLOCK = 1 << 16;

    private final CpuBackend backend;
    private final RuleKind rule;
    private final StepBuffers buffers;
    private final StepArgs args;
    // segments: block b owns segments [blockSeg[b], blockSeg[b+1]); segment j is group segGroup[j], [segFrom[j], segTo[j])
    private final int[] blockSeg;
    private final int[] segGroup, segFrom, segTo;
    private final int blocks;
    private final boolean[] finite;
    // reductions: chunk c is [chunkFrom[c], chunkTo[c]), the groups' chunks in group order (ReductionOrder)
    private final int[] chunkFrom, chunkTo;
    private final double[] partial;
    private final double[][] lanes; // per worker, and one more for the final sum

    private final WorkerPool.Task stepTask = this::stepWorker;
    private final WorkerPool.Task syncTask = this::syncWorker;
    private final WorkerPool.Task finiteTask = this::finiteWorker;
    private final WorkerPool.Task gradNormTask = w -> squaresWorker(w, false);
    private final WorkerPool.Task distanceTask = w -> squaresWorker(w, true);

    CpuStep(CpuBackend backend, RuleKind rule, StepBuffers buffers, GroupRange[] groups, StepArgs args) {
        this.backend = backend;
        this.rule = rule;
        this.buffers = buffers;
        this.args = args;
        long total = 0;
        for (GroupRange g : groups) total += g.length();
        int nb = (int) ((total + BLOCK - 1) / BLOCK);
        int[] bs = new int[nb + 1];
        // count segments: one per (block, group) intersection
        int maxSeg = nb + groups.length;
        int[] sg = new int[maxSeg], sf = new int[maxSeg], st = new int[maxSeg];
        int seg = 0, b = 0;
        long pos = 0; // position in the concatenation of the groups
        for (int gi = 0; gi < groups.length; gi++) {
            long from = groups[gi].start(), end = groups[gi].end();
            while (from < end) {
                long blockEnd = (pos / BLOCK + 1) * BLOCK;
                long take = Math.min(end - from, blockEnd - pos);
                int blk = (int) (pos / BLOCK);
                while (b <= blk) bs[b++] = seg;
                sg[seg] = gi;
                sf[seg] = (int) from;
                st[seg] = (int) (from + take);
                seg++;
                from += take;
                pos += take;
            }
        }
        while (b <= nb) bs[b++] = seg;
        this.blocks = nb;
        this.blockSeg = bs;
        this.segGroup = sg;
        this.segFrom = sf;
        this.segTo = st;
        this.finite = new boolean[backend.threads()];
        int chunks = 0;
        for (GroupRange g : groups) chunks += (int) ((g.length() + ReductionOrder.CHUNK - 1) / ReductionOrder.CHUNK);
        this.chunkFrom = new int[chunks];
        this.chunkTo = new int[chunks];
        int c = 0;
        for (GroupRange g : groups) {
            for (long from = g.start(); from < g.end(); from += ReductionOrder.CHUNK) {
                chunkFrom[c] = (int) from;
                chunkTo[c++] = (int) Math.min(g.end(), from + ReductionOrder.CHUNK);
            }
        }
        this.partial = new double[chunks];
        this.lanes = new double[backend.threads() + 1][ReductionOrder.LANES];
    }

    private int firstBlock(int worker) {
        return (int) ((long) blocks * worker / backend.threads());
    }

    private static float[] arr(Buffer b) {
        return b == null ? null : ((HostBuffer) b).array();
    }

    private void stepWorker(int w) {
        float[] p = arr(buffers.params()), g = arr(buffers.grads());
        float[] s0 = arr(buffers.s0()), s1 = arr(buffers.s1()), s2 = arr(buffers.s2());
        float[] slow = arr(buffers.slow()), cache = arr(buffers.cache());
        StepArgs a = args;
        int segEnd = blockSeg[firstBlock(w + 1)];
        for (int j = blockSeg[firstBlock(w)]; j < segEnd; j++) {
            int gi = segGroup[j];
            CpuKernels.run(rule, segFrom[j], segTo[j], p, g, s0, s1, s2, slow, cache,
                    a.scalars[gi], a.flags[gi], a.sync, a.alpha, a.oneMinusAlpha, a.pullback);
        }
    }

    private void syncWorker(int w) {
        float[] p = arr(buffers.params()), m = arr(buffers.s0());
        float[] slow = arr(buffers.slow()), cache = arr(buffers.cache());
        StepArgs a = args;
        int segEnd = blockSeg[firstBlock(w + 1)];
        for (int j = blockSeg[firstBlock(w)]; j < segEnd; j++) {
            CpuKernels.syncOnly(segFrom[j], segTo[j], p, m, slow, cache, a.alpha, a.oneMinusAlpha, a.pullback);
        }
    }

    private void finiteWorker(int w) {
        // the groups tile the arena back to back, so a worker's blocks are one contiguous element range
        int first = blockSeg[firstBlock(w)], last = blockSeg[firstBlock(w + 1)] - 1;
        finite[w] = first > last || allFinite(arr(buffers.grads()), segFrom[first], segTo[last]);
    }

    /**
     * True when {@code g[from, to)} holds no NaN or infinity: {@code x * 0} is a zero for finite x and NaN
     * otherwise, and a sum of zeros stays zero. The range is read as eight interleaved streams with eight
     * independent sums: one sequential stream is latency-bound (about 5 GB/s per thread here), eight keep
     * enough loads in flight; an early exit would stop the loop from being pipelined at all.
     */
    static boolean allFinite(float[] g, int from, int to) {
        int len = (to - from) / 8;
        int b1 = from + len, b2 = b1 + len, b3 = b2 + len, b4 = b3 + len, b5 = b4 + len, b6 = b5 + len, b7 = b6 + len;
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (int i = 0; i < len; i++) {
            a0 += g[from + i] * 0.0f;
            a1 += g[b1 + i] * 0.0f;
            a2 += g[b2 + i] * 0.0f;
            a3 += g[b3 + i] * 0.0f;
            a4 += g[b4 + i] * 0.0f;
            a5 += g[b5 + i] * 0.0f;
            a6 += g[b6 + i] * 0.0f;
            a7 += g[b7 + i] * 0.0f;
        }
        for (int i = from + 8 * len; i < to; i++) a0 += g[i] * 0.0f;
        return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) == 0.0f;
    }

    private void squaresWorker(int w, boolean distance) {
        float[] x = distance ? arr(buffers.params()) : arr(buffers.grads());
        float[] y = distance ? arr(buffers.slow()) : null;
        int n = chunkFrom.length, threads = backend.threads();
        for (int c = (int) ((long) n * w / threads), e = (int) ((long) n * (w + 1) / threads); c < e; c++) {
            partial[c] = ReductionOrder.chunk(x, y, chunkFrom[c], chunkTo[c], lanes[w]);
        }
    }

    @Override public void step() { backend.pool().run(stepTask); }

    @Override public void syncOnly() { backend.pool().run(syncTask); }

    @Override
    public boolean gradientsFinite() {
        backend.pool().run(finiteTask);
        for (int w = 0; w < backend.threads(); w++) if (!finite[w]) return false;
        return true;
    }

    @Override
    public double gradientSquaredNorm() {
        backend.pool().run(gradNormTask);
        return sum();
    }

    @Override
    public double slowDistanceSquared() {
        if (buffers.slow() == null) return 0.0;
        backend.pool().run(distanceTask);
        return sum();
    }

    private double sum() {
        return ReductionOrder.total(partial, partial.length, lanes[backend.threads()]);
    }
}
