package dev.lookahead4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CUDA MLP kernels' math ({@code cuda-kernels/mlp.cuh}, with the kernels' index arithmetic), built
 * for the host ({@code target/native/mlp_host}, g++ -ffp-contract=off), against the Java model
 * ({@link MlpKernels}, {@link Dataset#gather}) on small inputs:
 * <ul>
 *   <li>bias gradients (column sums in row order), bias + ReLU, the ReLU mask of the input gradient and
 *       the pixel scaling: bit for bit (the same float operations in the same order);</li>
 *   <li>softmax cross-entropy (loss, gradient, correct flag): the same float operations in the same
 *       order, but exp and log come from different libraries (Java's {@code Math.exp/log} vs glibc's,
 *       and libdevice's on the GPU), each within an ulp in double before rounding to float; so loss and
 *       gradient may differ by 1 float ulp where a double result sits next to a float rounding boundary
 *       (allowed; the count of exact matches is printed), the correct flags exactly;</li>
 *   <li>the loss reduction (strided per-thread double sums, then a fixed tree) against a plain double
 *       sum: within 1e-12 relative (another order of the same double additions); the correct count
 *       exactly.</li>
 * </ul>
 * The GPU runs the same functions; whether the device's exp/log round the same way is for the GPU test
 * ({@code CudaMlpTest}) to show, within its tolerance.
 */
class MlpHostKernelTest {
    @TempDir
    Path dir;

    static Path binaryOrSkip() {
        Path bin = Path.of(System.getProperty("lookahead4j.native.dir", "target/native")).resolve("mlp_host");
        if (Files.isExecutable(bin)) return bin;
        Assumptions.assumeFalse(Boolean.getBoolean("lookahead4j.native.skip"), "native build skipped (-Dnative.skip=true): mlp_host not checked");
        if (onPath("g++") || onPath("nvcc")) {
            fail(bin + " is missing although a C++ compiler is on the PATH: the native build (native/maven-build.sh) did not run or failed");
        }
        Assumptions.abort("no C++ compiler on the PATH: mlp_host was not built, so it is not checked");
        return bin;
    }

    static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String d : path.split(File.pathSeparator)) if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) return true;
        return false;
    }

    /** One record of mlp_host's input and how to read its output. */
    interface Rec {
        void write(ByteBuffer in);

        void check(ByteBuffer out);

        int inBytes();
    }

    static float logit(SplittableRandom r) {
        int k = r.nextInt(10);
        if (k == 0) return 0f;
        if (k == 1) return (float) r.nextInt(-3, 4); // small integers: ties between logits
        if (k == 2) return (float) (r.nextGaussian() * 40); // large: exp underflows for most classes
        return (float) (r.nextGaussian() * 3);
    }

    static int ulps(float a, float b) {
        if (Float.floatToIntBits(a) == Float.floatToIntBits(b)) return 0;
        if (Float.isNaN(a) || Float.isNaN(b) || Math.signum(a) != Math.signum(b)) return Integer.MAX_VALUE;
        return Math.abs(Float.floatToIntBits(a) - Float.floatToIntBits(b));
    }

    final int[] exactSoftmax = new int[2]; // exact, total

    Rec softmax(SplittableRandom r, int n, int classes, boolean grad) {
        float[][] z = new float[n][classes];
        byte[] labels = new byte[n];
        for (int b = 0; b < n; b++) {
            for (int c = 0; c < classes; c++) z[b][c] = logit(r);
            labels[b] = (byte) r.nextInt(classes);
        }
        float invN = 1f / n;
        float[] loss = new float[n];
        int[] correct = new int[n];
        float[][] d = new float[n][classes];
        for (int b = 0; b < n; b++) correct[b] = MlpKernels.softmaxCrossEntropy(z, classes, labels, n, loss, grad ? d : null, b, b + 1);
        String what = "softmax n=" + n + " classes=" + classes + (grad ? " grad" : "");
        return new Rec() {
            public int inBytes() { return 4 * (5 + n + n * classes); }

            public void write(ByteBuffer in) {
                in.putInt(1).putInt(n).putInt(classes).putFloat(invN).putInt(grad ? 1 : 0);
                for (byte l : labels) in.putInt(l & 0xff);
                for (float[] row : z) for (float v : row) in.putFloat(v);
            }

            public void check(ByteBuffer out) {
                for (int b = 0; b < n; b++) near(what + " loss[" + b + "]", loss[b], out.getFloat());
                for (int b = 0; b < n; b++) assertEquals(correct[b], out.getInt(), what + " correct[" + b + "]");
                for (int b = 0; b < n; b++) {
                    for (int c = 0; c < classes; c++) near(what + " d[" + b + "][" + c + "]", grad ? d[b][c] : 0f, out.getFloat());
                }
            }
        };
    }

    void near(String what, float expected, float actual) {
        int u = ulps(expected, actual);
        exactSoftmax[1]++;
        if (u == 0) exactSoftmax[0]++;
        assertTrue(u <= 1, what + ": expected " + expected + " got " + actual + " (" + u + " ulps)");
    }

    static void exact(String what, float expected, float actual) {
        if (Float.floatToIntBits(expected) != Float.floatToIntBits(actual)) fail(what + ": expected " + expected + " got " + actual);
    }

    static Rec biasGrad(SplittableRandom r, int n, int cols) {
        float[][] d = new float[n][cols];
        for (float[] row : d) for (int c = 0; c < cols; c++) row[c] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-6, 2)));
        float[] g = new float[cols + 3];
        MlpKernels.biasGrad(d, cols, n, g, 3);
        return new Rec() {
            public int inBytes() { return 4 * (3 + n * cols); }

            public void write(ByteBuffer in) {
                in.putInt(2).putInt(n).putInt(cols);
                for (float[] row : d) for (float v : row) in.putFloat(v);
            }

            public void check(ByteBuffer out) {
                for (int o = 0; o < cols; o++) exact("bias grad n=" + n + " cols=" + cols + " [" + o + "]", g[3 + o], out.getFloat());
            }
        };
    }

    static Rec biasAct(SplittableRandom r, int rows, int cols, boolean relu) {
        float[] y = new float[rows * cols], bias = new float[cols];
        for (int i = 0; i < y.length; i++) y[i] = i % 7 == 0 ? -0f : (float) r.nextGaussian();
        for (int c = 0; c < cols; c++) bias[c] = c % 5 == 0 ? 0f : (float) r.nextGaussian();
        y[0] = Float.NaN;
        return new Rec() {
            public int inBytes() { return 4 * (4 + y.length + cols); }

            public void write(ByteBuffer in) {
                in.putInt(3).putInt(rows).putInt(cols).putInt(relu ? 1 : 0);
                for (float v : y) in.putFloat(v);
                for (float v : bias) in.putFloat(v);
            }

            public void check(ByteBuffer out) {
                for (int e = 0; e < y.length; e++) {
                    float v = y[e] + bias[e % cols];
                    float[] row = {v};
                    if (relu) row[0] = row[0] > 0f ? row[0] : 0f; // MlpKernels.relu
                    exact("bias_act [" + e + "]", row[0], out.getFloat());
                }
            }
        };
    }

    static Rec reluMask(SplittableRandom r, int rows, int cols) {
        float[][] h = new float[rows][cols], dx = new float[rows][cols];
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < cols; i++) {
                int k = r.nextInt(4);
                h[b][i] = k == 0 ? 0f : k == 1 ? -0f : (float) r.nextGaussian();
                dx[b][i] = (float) r.nextGaussian();
            }
        }
        // the Java input gradient masks with its private mask(); run it through inputGrad with a zero-free
        // identity: out = in = cols, W = I, so DX = D masked by H
        float[][] w = new float[cols][cols];
        for (int i = 0; i < cols; i++) w[i][i] = 1f;
        float[][] expected = new float[rows][cols];
        MlpKernels.inputGrad(dx, cols, w, cols, h, expected, 0, rows);
        return new Rec() {
            public int inBytes() { return 4 * (2 + 2 * rows * cols); }

            public void write(ByteBuffer in) {
                in.putInt(4).putInt(rows * cols);
                for (float[] row : h) for (float v : row) in.putFloat(v);
                for (float[] row : dx) for (float v : row) in.putFloat(v);
            }

            public void check(ByteBuffer out) {
                for (int b = 0; b < rows; b++) for (int i = 0; i < cols; i++) exact("relu_mask [" + b + "][" + i + "]", expected[b][i], out.getFloat());
            }
        };
    }

    static Rec pixels() {
        byte[] images = new byte[256];
        for (int i = 0; i < 256; i++) images[i] = (byte) i;
        Dataset d = new Dataset("all bytes", images, new byte[] {0}, 1, 16, 16, 2);
        float[][] x = new float[1][256];
        d.gather(new int[] {0}, 0, 1, x, new byte[1]);
        return new Rec() {
            public int inBytes() { return 8 + 256; }

            public void write(ByteBuffer in) {
                in.putInt(5).putInt(256).put(images);
            }

            public void check(ByteBuffer out) {
                for (int i = 0; i < 256; i++) exact("pixel " + i, x[0][i], out.getFloat());
            }
        };
    }

    static Rec sumRows(SplittableRandom r, int n, boolean withCorrect) {
        float[] loss = new float[n];
        int[] correct = new int[n];
        double sum = 0;
        long hits = 0;
        for (int i = 0; i < n; i++) {
            loss[i] = (float) Math.abs(r.nextGaussian() * 2);
            correct[i] = r.nextInt(2);
            sum += loss[i];
            hits += correct[i];
        }
        double expected = sum;
        long expectedHits = withCorrect ? hits : 0;
        return new Rec() {
            public int inBytes() { return 4 * (3 + 2 * n); }

            public void write(ByteBuffer in) {
                in.putInt(6).putInt(n).putInt(withCorrect ? 1 : 0);
                for (float v : loss) in.putFloat(v);
                for (int v : correct) in.putInt(v);
            }

            public void check(ByteBuffer out) {
                double s = out.getDouble();
                assertEquals(expected, s, 1e-12 * Math.abs(expected), "sum_rows n=" + n);
                assertEquals(expectedHits, out.getLong(), "sum_rows correct n=" + n);
            }
        };
    }

    @Test
    void hostBuildOfTheMlpKernelMathMatchesTheJavaModel() throws IOException, InterruptedException {
        Path bin = binaryOrSkip();
        SplittableRandom r = new SplittableRandom(20261204L);
        List<Rec> recs = new ArrayList<>();
        for (int n : new int[] {1, 2, 7, 128}) {
            for (int classes : new int[] {2, 3, 10, 37}) {
                recs.add(softmax(r, n, classes, true));
                recs.add(softmax(r, n, classes, false));
            }
            recs.add(biasGrad(r, n, 1));
            recs.add(biasGrad(r, n, 10));
            recs.add(biasGrad(r, n, 133));
            recs.add(biasAct(r, n, 13, true));
            recs.add(biasAct(r, n, 10, false));
            recs.add(reluMask(r, n, 9));
        }
        recs.add(softmax(r, 1000, 10, false)); // an evaluation batch
        recs.add(pixels());
        for (int n : new int[] {1, 255, 256, 257, 10_000}) {
            recs.add(sumRows(r, n, true));
            recs.add(sumRows(r, n, false));
        }
        int bytes = 8;
        for (Rec x : recs) bytes += x.inBytes();
        ByteBuffer in = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        in.put(new byte[] {'M', 'L', 'H', '1'}).putInt(recs.size());
        for (Rec x : recs) x.write(in);
        assertEquals(bytes, in.position(), "input size");
        Path inFile = dir.resolve("in.bin"), outFile = dir.resolve("out.bin");
        Files.write(inFile, in.array());
        Process p = new ProcessBuilder(bin.toString(), inFile.toString(), outFile.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "mlp_host did not finish");
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.exitValue(), "mlp_host failed: " + log);
        ByteBuffer out = ByteBuffer.wrap(Files.readAllBytes(outFile)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        out.get(magic);
        assertEquals("MLH1", new String(magic));
        assertEquals(recs.size(), out.getInt());
        for (Rec x : recs) x.check(out);
        assertEquals(0, out.remaining(), "trailing output");
        System.out.printf("mlp_host: %d records; softmax loss/gradient values bit-identical to Java: %d of %d%n",
                recs.size(), exactSoftmax[0], exactSoftmax[1]);
    }

    @Test
    void hostProgramRejectsBadInput() throws IOException, InterruptedException {
        Path bin = binaryOrSkip();
        Path inFile = dir.resolve("bad.bin"), outFile = dir.resolve("bad.out");
        Files.write(inFile, new byte[] {'M', 'L', 'H', '1', 1, 0, 0, 0, 9, 0, 0, 0});
        Process p = new ProcessBuilder(bin.toString(), inFile.toString(), outFile.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue());
        assertTrue(new String(p.getInputStream().readAllBytes()).contains("unknown op"));
    }
}
