package dev.lookahead4j.cpu;

/**
 * The order in which the CUDA reductions ({@code cuda-kernels/reduce.cu}) add, for the CPU backend, so
 * that {@code gradientNorm()} and {@code slowDistance()} give the same bits on both:
 * <ol>
 *   <li>each group's range is cut into chunks of {@link #CHUNK} elements counted from the group's start;</li>
 *   <li>in a chunk, lane t (a CUDA thread) adds d² for the elements t, t + 256, t + 512, ... in order,
 *       from 0.0, in double; the 256 lanes are then added in a fixed tree: for w = 128, 64, ..., 1,
 *       lane[t] = lane[t] + lane[t + w] for t &lt; w; the chunk's partial is lane[0];</li>
 *   <li>the partials of all chunks, in group order, are added the same way (lane t takes partials
 *       t, t + 256, ..., then the tree).</li>
 * </ol>
 * Every product and sum is a separate IEEE double operation, as in the PTX ({@code -fmad=false}).
 */
final class ReductionOrder {
    private ReductionOrder() { }

    /** Elements per chunk; reduce.cu's {@code LA_CHUNK} and {@code KernelNames.REDUCE_CHUNK}. */
    static final int CHUNK = 65536;
    /** Lanes (threads per block); reduce.cu's {@code LA_RED_THREADS} and {@code KernelNames.REDUCE_THREADS}. */
    static final int LANES = 256;

    /** The partial of chunk [from, to) of x² (y null) or (x - y)²; {@code lanes} is scratch of {@link #LANES}. */
    static double chunk(float[] x, float[] y, int from, int to, double[] lanes) {
        java.util.Arrays.fill(lanes, 0.0);
        int i = from;
        if (y == null) {
            for (; i + LANES <= to; i += LANES) {
                for (int t = 0; t < LANES; t++) {
                    double d = x[i + t];
                    lanes[t] += d * d;
                }
            }
            for (int t = 0; i < to; i++, t++) {
                double d = x[i];
                lanes[t] += d * d;
            }
        } else {
            for (; i + LANES <= to; i += LANES) {
                for (int t = 0; t < LANES; t++) {
                    double d = (double) x[i + t] - (double) y[i + t];
                    lanes[t] += d * d;
                }
            }
            for (int t = 0; i < to; i++, t++) {
                double d = (double) x[i] - (double) y[i];
                lanes[t] += d * d;
            }
        }
        return tree(lanes);
    }

    /** The sum of {@code partials[0, n)} in the final block's order; {@code lanes} is scratch. */
    static double total(double[] partials, int n, double[] lanes) {
        java.util.Arrays.fill(lanes, 0.0);
        for (int i = 0; i < n; i++) lanes[i & (LANES - 1)] += partials[i];
        return tree(lanes);
    }

    private static double tree(double[] sh) {
        for (int w = LANES / 2; w > 0; w >>= 1) {
            for (int t = 0; t < w; t++) sh[t] = sh[t] + sh[t + w];
        }
        return sh[0];
    }
}
