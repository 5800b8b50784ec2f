package dev.lookahead4j.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The kernels of {@code cuda-kernels/mlp.cu} that {@link CudaMlp} launches, with each kernel's
 * argument list as a signature string (one letter per argument, in order: {@code P} a device pointer,
 * {@code L} a 64-bit integer, {@code I} a 32-bit integer, {@code F} a float). The launcher packs its
 * arguments by these strings, and the build test ({@code dev.lookahead4j.kernels.PtxSymbolsTest})
 * checks each name is an {@code .entry} of {@code mlp.ptx} whose parameters have exactly these kinds,
 * so a renamed kernel or a changed argument list fails CI rather than a launch on a GPU.
 */
public final class MlpKernelNames {
    private MlpKernelNames() { }

    /** PTX resource of the MLP kernels (in {@code dev.lookahead4j.cuda.KernelNames#RESOURCE_DIR}). */
    public static final String PTX = "mlp.ptx";

    /** {@code mlp_gather(images, labels, order, from, n, pixels, x, y)}. */
    public static final String GATHER = "mlp_gather";
    /** {@code mlp_bias_act(y, bias, rows, cols, relu)}. */
    public static final String BIAS_ACT = "mlp_bias_act";
    /** {@code mlp_softmax_xent(z, labels, n, classes, inv_n, d, row_loss, row_correct)}. */
    public static final String SOFTMAX_XENT = "mlp_softmax_xent";
    /** {@code mlp_bias_grad(d, n, cols, g)}. */
    public static final String BIAS_GRAD = "mlp_bias_grad";
    /** {@code mlp_relu_mask(h, dx, count)}. */
    public static final String RELU_MASK = "mlp_relu_mask";
    /** {@code mlp_sum_rows(loss, correct, n, out_loss, out_correct)}: one block of {@link #SUM_THREADS}. */
    public static final String SUM_ROWS = "mlp_sum_rows";

    /** Threads per block of the element-wise kernels; must not exceed {@code MLP_THREADS} in mlp.cu. */
    public static final int THREADS = 256;
    /** Threads of the single block of {@link #SUM_ROWS}; must equal {@code MLP_SUM_THREADS} in mlp.cuh. */
    public static final int SUM_THREADS = 256;

    /** Every kernel with its signature string, in the order of mlp.cu. */
    public static Map<String, String> signatures() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(GATHER, "PPPLIIPP");
        m.put(BIAS_ACT, "PPIII");
        m.put(SOFTMAX_XENT, "PPIIFPPP");
        m.put(BIAS_GRAD, "PIIP");
        m.put(RELU_MASK, "PPL");
        m.put(SUM_ROWS, "PPIPP");
        return m;
    }
}
