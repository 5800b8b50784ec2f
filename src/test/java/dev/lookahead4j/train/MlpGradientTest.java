package dev.lookahead4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.Device;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Checks the MLP's backward pass against central finite differences of an independent forward pass
 * written here in double precision (on the same float weights), and its forward pass against the same.
 * Odd sizes exercise the kernels' tails (row pairs, blocks of four) and zero inputs their skips.
 */
class MlpGradientTest {
    static final int[] WIDTHS = {2 * 5, 7, 6, 3}; // 10 inputs (2x5 images), hidden 7 and 6, 3 classes
    static final int BATCH = 5;

    static Dataset data() {
        Random r = new Random(7);
        byte[] px = new byte[BATCH * 10];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (r.nextInt(3) == 0 ? 0 : r.nextInt(256));
        for (int i = 0; i < 4; i++) px[10 + i] = 0; // a block of four zeros in sample 1
        byte[] lb = {0, 2, 1, 2, 0};
        return new Dataset("grad-check", px, lb, BATCH, 2, 5, 3);
    }

    /** Mean loss over the batch, computed in double from the arena's float weights ([in][out] layout). */
    static double lossInDouble(float[] p, Mlp m, Dataset d, double[][] logitsOut) {
        double total = 0;
        for (int b = 0; b < BATCH; b++) {
            double[] a = new double[WIDTHS[0]];
            for (int i = 0; i < a.length; i++) a[i] = (d.images()[b * 10 + i] & 0xff) / 255.0;
            for (int l = 1; l < WIDTHS.length; l++) {
                int in = WIDTHS[l - 1], out = WIDTHS[l];
                int w = (int) m.arena().param(Mlp.weightName(l)).offset(), bias = (int) m.arena().param(Mlp.biasName(l)).offset();
                double[] y = new double[out];
                for (int o = 0; o < out; o++) {
                    double s = p[bias + o];
                    for (int i = 0; i < in; i++) s += a[i] * p[w + i * out + o];
                    y[o] = l < WIDTHS.length - 1 ? Math.max(0, s) : s;
                }
                a = y;
            }
            if (logitsOut != null) logitsOut[b] = a;
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (double v : a) max = Math.max(max, v);
            for (double v : a) sum += Math.exp(v - max);
            total += max + Math.log(sum) - a[d.labels()[b]];
        }
        return total / BATCH;
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Dataset d = data();
        int[] order = {0, 1, 2, 3, 4};
        try (Device dev = Device.cpu(1); Mlp m = new Mlp(dev, WIDTHS, BATCH, 2)) {
            m.initialize(3);
            float[] p = m.arena().paramsArray();
            double sum = m.trainStep(d, order, 0, BATCH);
            float[] g = m.arena().gradsArray().clone();
            double[][] logits = new double[BATCH][];
            double ref = lossInDouble(p, m, d, logits);
            assertEquals(ref, sum / BATCH, 1e-5, "forward loss");
            for (int b = 0; b < BATCH; b++) {
                float[] z = m.logits(b);
                for (int c = 0; c < 3; c++) assertEquals(logits[b][c], z[c], 1e-5, "logit " + b + "," + c);
            }
            int checked = 0;
            double worst = 0;
            for (var param : m.arena().params()) {
                for (int k = 0; k < param.size(); k++) {
                    int idx = (int) param.offset() + k;
                    float saved = p[idx];
                    double h = 1e-4;
                    p[idx] = (float) (saved + h);
                    double hp = p[idx] - saved;
                    double up = lossInDouble(p, m, d, null);
                    p[idx] = (float) (saved - h);
                    double hm = saved - p[idx];
                    double down = lossInDouble(p, m, d, null);
                    p[idx] = saved;
                    double numeric = (up - down) / (hp + hm);
                    double err = Math.abs(numeric - g[idx]);
                    worst = Math.max(worst, err / (1e-4 + Math.abs(numeric)));
                    assertTrue(err <= 1e-4 + 2e-3 * Math.abs(numeric),
                            param.name() + "[" + k + "]: backward " + g[idx] + ", finite differences " + numeric);
                    checked++;
                }
            }
            assertEquals(10 * 7 + 7 + 7 * 6 + 6 + 6 * 3 + 3, checked);
            // a wrong gradient must fail: the check is not vacuous
            assertTrue(Math.abs(g[(int) m.arena().param("fc3.bias").offset()]) > 1e-3);
            assertTrue(worst < 1, "worst relative error " + worst);
        }
    }

    @Test
    void gradientsDoNotDependOnThreadCountOrBatchSplit() {
        Dataset d = data();
        int[] order = {4, 3, 2, 1, 0};
        float[] one = null;
        for (int threads : new int[] {1, 2, 3}) {
            try (Device dev = Device.cpu(1); Mlp m = new Mlp(dev, WIDTHS, BATCH, threads)) {
                m.initialize(11);
                m.trainStep(d, order, 0, BATCH);
                float[] g = m.arena().gradsArray().clone();
                if (one == null) one = g;
                else assertArrayEquals(one, g, "threads=" + threads);
            }
        }
    }

    @Test
    void initialisationFollowsNnLinearBounds() {
        try (Device dev = Device.cpu(1); Mlp m = new Mlp(dev, new int[] {784, 256, 10}, 4, 1)) {
            m.initialize(1);
            float[] w1 = m.arena().values("fc1.weight"), b2 = m.arena().values("fc2.bias");
            float bound1 = (float) (1 / Math.sqrt(784)), bound2 = (float) (1 / Math.sqrt(256));
            float max = 0;
            for (float v : w1) max = Math.max(max, Math.abs(v));
            assertTrue(max <= bound1 && max > 0.95f * bound1, "max |w1| " + max);
            for (float v : b2) assertTrue(Math.abs(v) <= bound2);
        }
    }

    @Test
    void badShapesAreRejectedNamingTheArgument() {
        try (Device dev = Device.cpu(1)) {
            java.util.List<Object[]> cases = java.util.List.of(
                    new Object[] {new int[] {784}, 8, 1, "Invalid widths: need at least input and output widths"},
                    new Object[] {new int[] {784, 0, 10}, 8, 1, "Invalid layer width: 0 (must be in [1, 65536])"},
                    new Object[] {new int[] {784, 1}, 8, 1, "Invalid number of classes: 1 (must be >= 2)"},
                    new Object[] {new int[] {65536, 65536, 10}, 8, 1, "at most 268435456"},
                    new Object[] {new int[] {4, 3}, 0, 1, "Invalid maxBatch: 0 (must be >= 1)"},
                    new Object[] {new int[] {4, 3}, 8, 0, "Invalid threads: 0 (must be >= 1)"});
            for (Object[] c : cases) {
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> new Mlp(dev, (int[]) c[0], (int) c[1], (int) c[2]).close());
                assertTrue(e.getMessage().contains((String) c[3]), e.getMessage());
            }
            try (Mlp m = new Mlp(dev, new int[] {10, 3}, 4, 1)) {
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> m.trainStep(data(), new int[] {0, 1, 2, 3, 4}, 0, 5));
                assertTrue(e.getMessage().contains("Invalid batch size: 5 (must be in [1, 4])"), e.getMessage());
                Dataset wrongPixels = new Dataset("w", new byte[12], new byte[1], 1, 3, 4, 3);
                e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> m.evaluate(wrongPixels));
                assertTrue(e.getMessage().contains("12 pixels per image, the model's input width is 10"), e.getMessage());
            }
        }
    }
}
