package dev.lookahead4j.train;

/**
 * The MLP's matrix products on row ranges. Every matrix is an array of rows ({@code float[][]}), and
 * the innermost loop is a multiply-add over whole rows indexed from 0: HotSpot's C2 (JDK 17) vectorises
 * that loop, while the same loop over rows of one flat array at different offsets stays scalar (about
 * 4x slower, measured). Each element of a result is computed by exactly one call, in a fixed order, so
 * results are bit-for-bit the same however rows are split over threads.
 *
 * <p>Layouts: activations {@code X[b][i]}; weights as {@code Wt[i][o]} (input-major, the transpose of
 * PyTorch's {@code nn.Linear.weight}); {@code W[o][i]} (a transposed copy) for the input gradient.
 * Terms are added in blocks of four, {@code y + a0*w0 + a1*w1 + a2*w2 + a3*w3}, left to right with
 * separate float multiplies and adds (no fused multiply-add). A block whose multipliers are all zero is
 * skipped, as it would add only zeros (ReLU outputs and the images' background are about half zeros).
 */
final class MlpKernels {
    private MlpKernels() { }

    /** {@code Y[b] = bias + sum_i X[b][i] * Wt[i]} for b in [b0, b1), then {@code max(0, y)} when {@code relu}. */
    static void forward(float[][] x, int in, float[][] wt, float[] bias, int out, float[][] y, int b0, int b1, boolean relu) {
        int b = b0;
        for (; b + 2 <= b1; b += 2) {
            float[] xa = x[b], xb = x[b + 1], ya = y[b], yb = y[b + 1];
            System.arraycopy(bias, 0, ya, 0, out);
            System.arraycopy(bias, 0, yb, 0, out);
            int i = 0;
            for (; i + 4 <= in; i += 4) {
                float a0 = xa[i], a1 = xa[i + 1], a2 = xa[i + 2], a3 = xa[i + 3];
                float c0 = xb[i], c1 = xb[i + 1], c2 = xb[i + 2], c3 = xb[i + 3];
                boolean za = a0 == 0f & a1 == 0f & a2 == 0f & a3 == 0f;
                boolean zb = c0 == 0f & c1 == 0f & c2 == 0f & c3 == 0f;
                float[] w0 = wt[i], w1 = wt[i + 1], w2 = wt[i + 2], w3 = wt[i + 3];
                if (za && zb) continue;
                if (za) axpy4(yb, c0, w0, c1, w1, c2, w2, c3, w3, out);
                else if (zb) axpy4(ya, a0, w0, a1, w1, a2, w2, a3, w3, out);
                else axpy4x2(ya, a0, a1, a2, a3, yb, c0, c1, c2, c3, w0, w1, w2, w3, out);
            }
            for (; i < in; i++) {
                axpy1(ya, xa[i], wt[i], out);
                axpy1(yb, xb[i], wt[i], out);
            }
            if (relu) {
                relu(ya, out);
                relu(yb, out);
            }
        }
        for (; b < b1; b++) {
            float[] xa = x[b], ya = y[b];
            System.arraycopy(bias, 0, ya, 0, out);
            int i = 0;
            for (; i + 4 <= in; i += 4) {
                float a0 = xa[i], a1 = xa[i + 1], a2 = xa[i + 2], a3 = xa[i + 3];
                if (a0 == 0f & a1 == 0f & a2 == 0f & a3 == 0f) continue;
                axpy4(ya, a0, wt[i], a1, wt[i + 1], a2, wt[i + 2], a3, wt[i + 3], out);
            }
            for (; i < in; i++) axpy1(ya, xa[i], wt[i], out);
            if (relu) relu(ya, out);
        }
    }

    private static void relu(float[] y, int n) {
        for (int o = 0; o < n; o++) y[o] = y[o] > 0f ? y[o] : 0f;
    }

    /** {@code y += a0*w0 + a1*w1 + a2*w2 + a3*w3} over [0, n). */
    static void axpy4(float[] y, float a0, float[] w0, float a1, float[] w1, float a2, float[] w2, float a3, float[] w3, int n) {
        for (int o = 0; o < n; o++) y[o] = y[o] + a0 * w0[o] + a1 * w1[o] + a2 * w2[o] + a3 * w3[o];
    }

    /** Two rows sharing the loads of w0..w3. */
    static void axpy4x2(float[] ya, float a0, float a1, float a2, float a3, float[] yb, float c0, float c1, float c2, float c3,
                        float[] w0, float[] w1, float[] w2, float[] w3, int n) {
        for (int o = 0; o < n; o++) {
            float v0 = w0[o], v1 = w1[o], v2 = w2[o], v3 = w3[o];
            ya[o] = ya[o] + a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3;
            yb[o] = yb[o] + c0 * v0 + c1 * v1 + c2 * v2 + c3 * v3;
        }
    }

    static void axpy1(float[] y, float a, float[] w, int n) {
        for (int o = 0; o < n; o++) y[o] = y[o] + a * w[o];
    }

    /**
     * The weight gradient {@code G[i] = sum_b X[b][i] * D[b]} (overwritten) for input rows i in [i0, i1),
     * over n batch rows.
     */
    static void weightGrad(float[][] x, float[][] d, int out, int n, float[][] g, int i0, int i1) {
        int i = i0;
        for (; i + 2 <= i1; i += 2) {
            float[] ga = g[i], gb = g[i + 1];
            java.util.Arrays.fill(ga, 0, out, 0f);
            java.util.Arrays.fill(gb, 0, out, 0f);
            int b = 0;
            for (; b + 4 <= n; b += 4) {
                float[] x0 = x[b], x1 = x[b + 1], x2 = x[b + 2], x3 = x[b + 3];
                float a0 = x0[i], a1 = x1[i], a2 = x2[i], a3 = x3[i];
                float c0 = x0[i + 1], c1 = x1[i + 1], c2 = x2[i + 1], c3 = x3[i + 1];
                boolean za = a0 == 0f & a1 == 0f & a2 == 0f & a3 == 0f;
                boolean zb = c0 == 0f & c1 == 0f & c2 == 0f & c3 == 0f;
                if (za && zb) continue;
                float[] d0 = d[b], d1 = d[b + 1], d2 = d[b + 2], d3 = d[b + 3];
                if (za) axpy4(gb, c0, d0, c1, d1, c2, d2, c3, d3, out);
                else if (zb) axpy4(ga, a0, d0, a1, d1, a2, d2, a3, d3, out);
                else axpy4x2(ga, a0, a1, a2, a3, gb, c0, c1, c2, c3, d0, d1, d2, d3, out);
            }
            for (; b < n; b++) {
                axpy1(ga, x[b][i], d[b], out);
                axpy1(gb, x[b][i + 1], d[b], out);
            }
        }
        for (; i < i1; i++) {
            float[] ga = g[i];
            java.util.Arrays.fill(ga, 0, out, 0f);
            int b = 0;
            for (; b + 4 <= n; b += 4) {
                float a0 = x[b][i], a1 = x[b + 1][i], a2 = x[b + 2][i], a3 = x[b + 3][i];
                if (a0 == 0f & a1 == 0f & a2 == 0f & a3 == 0f) continue;
                axpy4(ga, a0, d[b], a1, d[b + 1], a2, d[b + 2], a3, d[b + 3], out);
            }
            for (; b < n; b++) axpy1(ga, x[b][i], d[b], out);
        }
    }

    /** The bias gradient {@code g[o] = sum_b D[b][o]} (overwritten, at gOff), summed over b in order. */
    static void biasGrad(float[][] d, int out, int n, float[] g, int gOff) {
        System.arraycopy(d[0], 0, g, gOff, out);
        for (int b = 1; b < n; b++) {
            float[] row = d[b];
            for (int o = 0; o < out; o++) g[gOff + o] = g[gOff + o] + row[o];
        }
    }

    /**
     * The input gradient through a ReLU: {@code DX[b][i] = (H[b][i] > 0) ? sum_o D[b][o] * W[o][i] : 0}
     * for b in [b0, b1), with {@code W} the [out][in] copy of the weights and {@code H} the layer's input
     * (post-ReLU activations).
     */
    static void inputGrad(float[][] d, int out, float[][] w, int in, float[][] h, float[][] dx, int b0, int b1) {
        int b = b0;
        for (; b + 2 <= b1; b += 2) {
            float[] da = d[b], db = d[b + 1], xa = dx[b], xb = dx[b + 1];
            java.util.Arrays.fill(xa, 0, in, 0f);
            java.util.Arrays.fill(xb, 0, in, 0f);
            int o = 0;
            for (; o + 4 <= out; o += 4) {
                axpy4x2(xa, da[o], da[o + 1], da[o + 2], da[o + 3], xb, db[o], db[o + 1], db[o + 2], db[o + 3],
                        w[o], w[o + 1], w[o + 2], w[o + 3], in);
            }
            for (; o < out; o++) {
                axpy1(xa, da[o], w[o], in);
                axpy1(xb, db[o], w[o], in);
            }
            mask(h[b], xa, in);
            mask(h[b + 1], xb, in);
        }
        for (; b < b1; b++) {
            float[] da = d[b], xa = dx[b];
            java.util.Arrays.fill(xa, 0, in, 0f);
            int o = 0;
            for (; o + 4 <= out; o += 4) axpy4(xa, da[o], w[o], da[o + 1], w[o + 1], da[o + 2], w[o + 2], da[o + 3], w[o + 3], in);
            for (; o < out; o++) axpy1(xa, da[o], w[o], in);
            mask(h[b], xa, in);
        }
    }

    private static void mask(float[] h, float[] dx, int n) {
        for (int i = 0; i < n; i++) dx[i] = h[i] > 0f ? dx[i] : 0f;
    }

    /**
     * Softmax cross-entropy of logit rows [b0, b1): writes each row's loss to {@code loss[b]} and, when
     * {@code d} is not null, the gradient of the batch mean, {@code (softmax - onehot) / n}, to {@code d[b]}.
     * Returns the number of rows whose largest logit (the first on ties) is the label.
     */
    static int softmaxCrossEntropy(float[][] z, int classes, byte[] labels, int n, float[] loss, float[][] d, int b0, int b1) {
        int correct = 0;
        float invN = 1f / n;
        for (int b = b0; b < b1; b++) {
            float[] r = z[b];
            int label = labels[b] & 0xff;
            float max = r[0];
            int arg = 0;
            for (int c = 1; c < classes; c++) {
                if (r[c] > max) {
                    max = r[c];
                    arg = c;
                }
            }
            if (arg == label) correct++;
            float sum = 0f;
            for (int c = 0; c < classes; c++) sum += (float) Math.exp(r[c] - max);
            loss[b] = max + (float) Math.log(sum) - r[label];
            if (d != null) {
                float[] g = d[b];
                for (int c = 0; c < classes; c++) {
                    float p = (float) Math.exp(r[c] - max) / sum;
                    g[c] = (c == label ? p - 1f : p) * invN;
                }
            }
        }
        return correct;
    }
}
