package dev.lookahead4j.train;

/**
 * The MLP's matrix products on row ranges, written so that HotSpot's C2 vectorises the innermost
 * loop (a contiguous multiply-add over a row) and each element of a result is computed by exactly one
 * call in a fixed order: results are bit-for-bit the same however the rows are split over threads.
 *
 * <p>Layouts, all row-major {@code float[]}: activations {@code X[b][i]} (batch rows); weights as
 * {@code Wt[i][o]} (input-major, i.e. the transpose of PyTorch's {@code nn.Linear.weight[o][i]}),
 * the layout in which forward and weight-gradient products are row-contiguous multiply-adds;
 * {@code W[o][i]} (a transposed copy) for the input gradient.
 *
 * <p>Blocks of four terms are added as {@code y + a0*w0 + a1*w1 + a2*w2 + a3*w3} (left to right,
 * separate float multiplies and adds, no fused multiply-add). A block whose four (or eight, for two
 * rows) multipliers are all zero is skipped: it would add only zeros (ReLU activations and the
 * images' background are about half zeros).
 */
final class MlpKernels {
    private MlpKernels() { }

    /**
     * {@code Y[b][o] = bias[o] + sum_i X[b][i] * Wt[i][o]} for rows {@code b} in [b0, b1), then
     * {@code max(0, y)} when {@code relu}.
     */
    static void forward(float[] x, int in, float[] w, int wOff, int bOff, int out, float[] y,
                        int b0, int b1, boolean relu) {
        int b = b0;
        for (; b + 2 <= b1; b += 2) {
            int x0 = b * in, x1 = x0 + in, y0 = b * out, y1 = y0 + out;
            System.arraycopy(w, bOff, y, y0, out);
            System.arraycopy(w, bOff, y, y1, out);
            int i = 0;
            for (; i + 4 <= in; i += 4) {
                float a00 = x[x0 + i], a01 = x[x0 + i + 1], a02 = x[x0 + i + 2], a03 = x[x0 + i + 3];
                float a10 = x[x1 + i], a11 = x[x1 + i + 1], a12 = x[x1 + i + 2], a13 = x[x1 + i + 3];
                boolean z0 = a00 == 0f & a01 == 0f & a02 == 0f & a03 == 0f;
                boolean z1 = a10 == 0f & a11 == 0f & a12 == 0f & a13 == 0f;
                int w0 = wOff + i * out, w1 = w0 + out, w2 = w1 + out, w3 = w2 + out;
                if (z0 && z1) continue;
                if (z0 || z1) {
                    int yy = z0 ? y1 : y0;
                    float c0 = z0 ? a10 : a00, c1 = z0 ? a11 : a01, c2 = z0 ? a12 : a02, c3 = z0 ? a13 : a03;
                    for (int o = 0; o < out; o++) {
                        y[yy + o] = y[yy + o] + c0 * w[w0 + o] + c1 * w[w1 + o] + c2 * w[w2 + o] + c3 * w[w3 + o];
                    }
                    continue;
                }
                for (int o = 0; o < out; o++) {
                    float v0 = w[w0 + o], v1 = w[w1 + o], v2 = w[w2 + o], v3 = w[w3 + o];
                    y[y0 + o] = y[y0 + o] + a00 * v0 + a01 * v1 + a02 * v2 + a03 * v3;
                    y[y1 + o] = y[y1 + o] + a10 * v0 + a11 * v1 + a12 * v2 + a13 * v3;
                }
            }
            for (; i < in; i++) {
                float a0 = x[x0 + i], a1 = x[x1 + i];
                int w0 = wOff + i * out;
                for (int o = 0; o < out; o++) {
                    y[y0 + o] = y[y0 + o] + a0 * w[w0 + o];
                    y[y1 + o] = y[y1 + o] + a1 * w[w0 + o];
                }
            }
            if (relu) {
                relu(y, y0, out);
                relu(y, y1, out);
            }
        }
        for (; b < b1; b++) {
            int x0 = b * in, y0 = b * out;
            System.arraycopy(w, bOff, y, y0, out);
            int i = 0;
            for (; i + 4 <= in; i += 4) {
                float a0 = x[x0 + i], a1 = x[x0 + i + 1], a2 = x[x0 + i + 2], a3 = x[x0 + i + 3];
                if (a0 == 0f & a1 == 0f & a2 == 0f & a3 == 0f) continue;
                int w0 = wOff + i * out, w1 = w0 + out, w2 = w1 + out, w3 = w2 + out;
                for (int o = 0; o < out; o++) {
                    y[y0 + o] = y[y0 + o] + a0 * w[w0 + o] + a1 * w[w1 + o] + a2 * w[w2 + o] + a3 * w[w3 + o];
                }
            }
            for (; i < in; i++) {
                float a0 = x[x0 + i];
                int w0 = wOff + i * out;
                for (int o = 0; o < out; o++) y[y0 + o] = y[y0 + o] + a0 * w[w0 + o];
            }
            if (relu) relu(y, y0, out);
        }
    }

    private static void relu(float[] y, int off, int n) {
        for (int o = off; o < off + n; o++) y[o] = y[o] > 0f ? y[o] : 0f;
    }

    /**
     * The weight gradient {@code G[i][o] = sum_b X[b][i] * D[b][o]} (overwritten, not accumulated) for
     * input rows {@code i} in [i0, i1), with {@code n} batch rows; {@code G} starts at {@code gOff}.
     */
    static void weightGrad(float[] x, int in, float[] d, int out, int n, float[] g, int gOff, int i0, int i1) {
        int i = i0;
        for (; i + 2 <= i1; i += 2) {
            int g0 = gOff + i * out, g1 = g0 + out;
            java.util.Arrays.fill(g, g0, g1 + out, 0f);
            int b = 0;
            for (; b + 4 <= n; b += 4) {
                int xb = b * in + i;
                float a00 = x[xb], a01 = x[xb + in], a02 = x[xb + 2 * in], a03 = x[xb + 3 * in];
                float a10 = x[xb + 1], a11 = x[xb + in + 1], a12 = x[xb + 2 * in + 1], a13 = x[xb + 3 * in + 1];
                boolean z0 = a00 == 0f & a01 == 0f & a02 == 0f & a03 == 0f;
                boolean z1 = a10 == 0f & a11 == 0f & a12 == 0f & a13 == 0f;
                if (z0 && z1) continue;
                int d0 = b * out, d1 = d0 + out, d2 = d1 + out, d3 = d2 + out;
                if (z0 || z1) {
                    int gg = z0 ? g1 : g0;
                    float c0 = z0 ? a10 : a00, c1 = z0 ? a11 : a01, c2 = z0 ? a12 : a02, c3 = z0 ? a13 : a03;
                    for (int o = 0; o < out; o++) {
                        g[gg + o] = g[gg + o] + c0 * d[d0 + o] + c1 * d[d1 + o] + c2 * d[d2 + o] + c3 * d[d3 + o];
                    }
                    continue;
                }
                for (int o = 0; o < out; o++) {
                    float v0 = d[d0 + o], v1 = d[d1 + o], v2 = d[d2 + o], v3 = d[d3 + o];
                    g[g0 + o] = g[g0 + o] + a00 * v0 + a01 * v1 + a02 * v2 + a03 * v3;
                    g[g1 + o] = g[g1 + o] + a10 * v0 + a11 * v1 + a12 * v2 + a13 * v3;
                }
            }
            for (; b < n; b++) {
                float a0 = x[b * in + i], a1 = x[b * in + i + 1];
                int d0 = b * out;
                for (int o = 0; o < out; o++) {
                    g[g0 + o] = g[g0 + o] + a0 * d[d0 + o];
                    g[g1 + o] = g[g1 + o] + a1 * d[d0 + o];
                }
            }
        }
        for (; i < i1; i++) {
            int g0 = gOff + i * out;
            java.util.Arrays.fill(g, g0, g0 + out, 0f);
            int b = 0;
            for (; b + 4 <= n; b += 4) {
                int xb = b * in + i;
                float a0 = x[xb], a1 = x[xb + in], a2 = x[xb + 2 * in], a3 = x[xb + 3 * in];
                if (a0 == 0f & a1 == 0f & a2 == 0f & a3 == 0f) continue;
                int d0 = b * out, d1 = d0 + out, d2 = d1 + out, d3 = d2 + out;
                for (int o = 0; o < out; o++) {
                    g[g0 + o] = g[g0 + o] + a0 * d[d0 + o] + a1 * d[d1 + o] + a2 * d[d2 + o] + a3 * d[d3 + o];
                }
            }
            for (; b < n; b++) {
                float a0 = x[b * in + i];
                int d0 = b * out;
                for (int o = 0; o < out; o++) g[g0 + o] = g[g0 + o] + a0 * d[d0 + o];
            }
        }
    }

    /** The bias gradient {@code g[o] = sum_b D[b][o]} (overwritten), summed over b in order. */
    static void biasGrad(float[] d, int out, int n, float[] g, int gOff) {
        System.arraycopy(d, 0, g, gOff, out);
        for (int b = 1; b < n; b++) {
            int d0 = b * out;
            for (int o = 0; o < out; o++) g[gOff + o] = g[gOff + o] + d[d0 + o];
        }
    }

    /** {@code Wtr[o][i] = Wt[i][o]} for output rows o in [o0, o1). */
    static void transpose(float[] w, int wOff, int in, int out, float[] wtr, int o0, int o1) {
        for (int o = o0; o < o1; o++) {
            int r = o * in;
            for (int i = 0; i < in; i++) wtr[r + i] = w[wOff + i * out + o];
        }
    }

    /**
     * The input gradient through a ReLU: {@code DX[b][i] = (H[b][i] > 0) ? sum_o D[b][o] * W[o][i] : 0}
     * for rows b in [b0, b1), with {@code W = wtr} the [out][in] copy and {@code H} the layer's input
     * (post-ReLU activations).
     */
    static void inputGrad(float[] d, int out, float[] wtr, int in, float[] h, float[] dx, int b0, int b1) {
        int b = b0;
        for (; b + 2 <= b1; b += 2) {
            int x0 = b * in, x1 = x0 + in, d0 = b * out, d1 = d0 + out;
            java.util.Arrays.fill(dx, x0, x1 + in, 0f);
            int o = 0;
            for (; o + 4 <= out; o += 4) {
                float a00 = d[d0 + o], a01 = d[d0 + o + 1], a02 = d[d0 + o + 2], a03 = d[d0 + o + 3];
                float a10 = d[d1 + o], a11 = d[d1 + o + 1], a12 = d[d1 + o + 2], a13 = d[d1 + o + 3];
                int w0 = o * in, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in;
                for (int i = 0; i < in; i++) {
                    float v0 = wtr[w0 + i], v1 = wtr[w1 + i], v2 = wtr[w2 + i], v3 = wtr[w3 + i];
                    dx[x0 + i] = dx[x0 + i] + a00 * v0 + a01 * v1 + a02 * v2 + a03 * v3;
                    dx[x1 + i] = dx[x1 + i] + a10 * v0 + a11 * v1 + a12 * v2 + a13 * v3;
                }
            }
            for (; o < out; o++) {
                float a0 = d[d0 + o], a1 = d[d1 + o];
                int w0 = o * in;
                for (int i = 0; i < in; i++) {
                    dx[x0 + i] = dx[x0 + i] + a0 * wtr[w0 + i];
                    dx[x1 + i] = dx[x1 + i] + a1 * wtr[w0 + i];
                }
            }
            mask(h, dx, x0, 2 * in);
        }
        for (; b < b1; b++) {
            int x0 = b * in, d0 = b * out;
            java.util.Arrays.fill(dx, x0, x0 + in, 0f);
            int o = 0;
            for (; o + 4 <= out; o += 4) {
                float a0 = d[d0 + o], a1 = d[d0 + o + 1], a2 = d[d0 + o + 2], a3 = d[d0 + o + 3];
                int w0 = o * in, w1 = w0 + in, w2 = w1 + in, w3 = w2 + in;
                for (int i = 0; i < in; i++) {
                    dx[x0 + i] = dx[x0 + i] + a0 * wtr[w0 + i] + a1 * wtr[w1 + i] + a2 * wtr[w2 + i] + a3 * wtr[w3 + i];
                }
            }
            for (; o < out; o++) {
                float a0 = d[d0 + o];
                int w0 = o * in;
                for (int i = 0; i < in; i++) dx[x0 + i] = dx[x0 + i] + a0 * wtr[w0 + i];
            }
            mask(h, dx, x0, in);
        }
    }

    private static void mask(float[] h, float[] dx, int off, int n) {
        for (int i = off; i < off + n; i++) dx[i] = h[i] > 0f ? dx[i] : 0f;
    }

    /**
     * Softmax cross-entropy of logit rows [b0, b1): writes each row's loss to {@code loss[b]} and the
     * gradient of the batch mean, {@code (softmax - onehot) / n}, to {@code d} (when not null).
     * Returns the number of rows whose largest logit (first on ties) is the label.
     */
    static int softmaxCrossEntropy(float[] z, int classes, byte[] labels, int labelOff, int n, float[] loss,
                                   float[] d, int b0, int b1) {
        int correct = 0;
        float invN = 1f / n;
        for (int b = b0; b < b1; b++) {
            int r = b * classes;
            int label = labels[labelOff + b] & 0xff;
            float max = z[r];
            int arg = 0;
            for (int c = 1; c < classes; c++) {
                if (z[r + c] > max) {
                    max = z[r + c];
                    arg = c;
                }
            }
            if (arg == label) correct++;
            float sum = 0f;
            for (int c = 0; c < classes; c++) sum += (float) Math.exp(z[r + c] - max);
            float logSum = (float) Math.log(sum);
            loss[b] = max + logSum - z[r + label];
            if (d != null) {
                for (int c = 0; c < classes; c++) {
                    float p = (float) Math.exp(z[r + c] - max) / sum;
                    d[r + c] = (c == label ? p - 1f : p) * invN;
                }
            }
        }
        return correct;
    }
}
