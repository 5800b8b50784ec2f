package dev.lookahead4j.kernels;

import static dev.lookahead4j.backend.RuleKind.F_AMSGRAD;
import static dev.lookahead4j.backend.RuleKind.F_CENTERED;
import static dev.lookahead4j.backend.RuleKind.F_DECOUPLED;
import static dev.lookahead4j.backend.RuleKind.F_FIRST_STEP;
import static dev.lookahead4j.backend.RuleKind.F_MAXIMIZE;
import static dev.lookahead4j.backend.RuleKind.F_MOMENTUM;
import static dev.lookahead4j.backend.RuleKind.F_NESTEROV;
import static dev.lookahead4j.backend.RuleKind.F_RECTIFY;
import static dev.lookahead4j.backend.RuleKind.F_WEIGHT_DECAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lookahead4j.backend.RuleKind;
import dev.lookahead4j.backend.StepArgs;
import dev.lookahead4j.cpu.CpuKernels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel math of {@code cuda-kernels/rules.cuh}, built for the host ({@code target/native/la_host},
 * g++ -ffp-contract=off), equals the Java reference {@link CpuKernels} bit for bit: every rule, every
 * combination of the flags that rule reads (and once with every flag bit set), without and with the
 * Lookahead sync under each pullback policy, the forced sync alone, on inputs full of zeros, -0,
 * denormals, huge values, NaN and infinities, with realistic and with adversarial scalars.
 * NaNs compare equal whatever their payload ({@link Float#floatToIntBits}).
 */
public class HostKernelMathTest {
    static final int N = 257;           // odd: nothing may assume whole vectors
    static final int OP_SYNC_ONLY = 16; // la_host's op code of the forced sync

    /** The flag bits each rule reads. */
    public static int[] relevantFlags(RuleKind rule) {
        return switch (rule) {
            case SGD -> new int[] {F_MAXIMIZE, F_WEIGHT_DECAY, F_NESTEROV, F_MOMENTUM, F_FIRST_STEP};
            case ADAM -> new int[] {F_MAXIMIZE, F_WEIGHT_DECAY, F_DECOUPLED, F_AMSGRAD};
            case RMSPROP -> new int[] {F_MAXIMIZE, F_WEIGHT_DECAY, F_CENTERED, F_MOMENTUM};
            case ADAGRAD, NADAM -> new int[] {F_MAXIMIZE, F_WEIGHT_DECAY};
            case RADAM -> new int[] {F_MAXIMIZE, F_WEIGHT_DECAY, F_RECTIFY};
        };
    }

    /** One operation with its inputs; {@code arrays} = p, g, s0, s1, s2, slow, cache. */
    record Rec(int op, RuleKind rule, int flags, float[] s, boolean sync, float alpha, float oneMinusAlpha,
               int pullback, boolean hasM, float[][] arrays, String label) { }

    // ------------------------------------------------------------------ inputs

    public static float value(SplittableRandom r) {
        int k = r.nextInt(100);
        if (k < 35) return (float) (r.nextGaussian() * Math.pow(10, r.nextDouble(-3, 3)));
        if (k < 43) return 0.0f;
        if (k < 49) return -0.0f;
        if (k < 56) return Float.intBitsToFloat(r.nextInt(1, 0x800000) | (r.nextBoolean() ? 0x80000000 : 0)); // denormal
        if (k < 62) return (r.nextBoolean() ? 1 : -1) * (float) Math.pow(10, r.nextDouble(20, 38.53)); // huge (may round to Inf)
        if (k < 66) return Float.intBitsToFloat(0x7fc00000 | r.nextInt(0x400000) | (r.nextBoolean() ? 0x80000000 : 0)); // NaNs
        if (k < 69) return Float.POSITIVE_INFINITY;
        if (k < 72) return Float.NEGATIVE_INFINITY;
        if (k < 78) return (r.nextBoolean() ? 1 : -1) * (float) Math.pow(10, r.nextDouble(-38, -30)); // tiny normal
        if (k < 82) return new float[] {Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f}[r.nextInt(7)];
        return (float) r.nextDouble(-1, 1);
    }

    /** Scalars as the host computes them for sensible hyperparameters (values need not be consistent). */
    public static float[] realisticScalars(RuleKind rule, SplittableRandom r) {
        float[] s = new float[StepArgs.MAX_SCALARS];
        double lr = Math.pow(10, r.nextDouble(-4, -1)), wd = r.nextBoolean() ? 0.0 : Math.pow(10, r.nextDouble(-4, -1));
        double b1 = 0.9, b2 = new double[] {0.98, 0.99, 0.999}[r.nextInt(3)], eps = Math.pow(10, r.nextDouble(-10, -6));
        int t = r.nextInt(1, 100);
        double bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
        switch (rule) {
            case SGD -> {
                s[0] = (float) -lr; s[1] = (float) r.nextDouble(0, 1); s[2] = (float) (1 - r.nextDouble(0, 0.5)); s[3] = (float) wd;
            }
            case ADAM -> {
                s[0] = (float) wd; s[1] = (float) (1 - lr * wd); s[2] = (float) b1; s[3] = (float) (1 - b1);
                s[4] = (float) b2; s[5] = (float) (1 - b2); s[6] = (float) Math.sqrt(bc2); s[7] = (float) eps; s[8] = (float) (-lr / bc1);
            }
            case RMSPROP -> {
                s[0] = (float) wd; s[1] = 0.99f; s[2] = (float) (1 - 0.99); s[3] = (float) eps; s[4] = (float) r.nextDouble(0, 1); s[5] = (float) -lr;
            }
            case ADAGRAD -> {
                s[0] = (float) wd; s[1] = (float) (-lr / (1 + (t - 1) * 0.01)); s[2] = 1e-10f;
            }
            case RADAM -> {
                s[0] = (float) wd; s[1] = (float) b1; s[2] = (float) (1 - b1); s[3] = (float) b2; s[4] = (float) (1 - b2);
                s[5] = (float) bc1; s[6] = (float) lr; s[7] = (float) eps; s[8] = (float) Math.sqrt(bc2); s[9] = (float) r.nextDouble(0.1, 1);
            }
            case NADAM -> {
                s[0] = (float) wd; s[1] = (float) b1; s[2] = (float) (1 - b1); s[3] = (float) b2; s[4] = (float) (1 - b2);
                s[5] = (float) Math.sqrt(bc2); s[6] = (float) eps; s[7] = (float) (-lr * 0.5); s[8] = (float) (-lr * 0.9);
            }
        }
        return s;
    }

    public static float[] adversarialScalars(SplittableRandom r) {
        float[] s = new float[StepArgs.MAX_SCALARS];
        for (int k = 0; k < s.length; k++) s[k] = value(r);
        return s;
    }

    static float[][] arrays(SplittableRandom r) {
        float[][] a = new float[7][N];
        for (float[] x : a) for (int i = 0; i < N; i++) x[i] = value(r);
        return a;
    }

    static List<Rec> records() {
        SplittableRandom r = new SplittableRandom(0x4c41484f5354L);
        List<Rec> out = new ArrayList<>();
        float[] alphas = {0.5f, 0.0f, 1.0f, 0.8f, 0.123f};
        for (RuleKind rule : RuleKind.values()) {
            int[] bits = relevantFlags(rule);
            List<Integer> combos = new ArrayList<>();
            for (int m = 0; m < (1 << bits.length); m++) {
                int f = 0;
                for (int b = 0; b < bits.length; b++) if ((m & (1 << b)) != 0) f |= bits[b];
                combos.add(f);
            }
            combos.add(0x1ff); // every flag bit, the ones this rule ignores too
            for (int f : combos) {
                for (int mode = 0; mode < 4; mode++) { // no sync; sync with NONE, RESET, PULLBACK
                    for (int adversarial = 0; adversarial < 2; adversarial++) {
                        float[] s = adversarial == 1 ? adversarialScalars(r) : realisticScalars(rule, r);
                        float alpha = adversarial == 1 && r.nextInt(4) == 0 ? value(r) : alphas[r.nextInt(alphas.length)];
                        float oneMinusAlpha = (float) (1 - (double) alpha);
                        boolean sync = mode > 0;
                        int pullback = sync ? mode - 1 : r.nextInt(3); // without sync the policy must not matter
                        out.add(new Rec(rule.id, rule, f, s, sync, alpha, oneMinusAlpha, pullback, false, arrays(r),
                                rule + " flags=0x" + Integer.toHexString(f) + " sync=" + sync + " pullback=" + pullback
                                        + (adversarial == 1 ? " adversarial scalars" : "")));
                    }
                }
            }
        }
        for (int hasM = 0; hasM < 2; hasM++) {
            for (int pullback = 0; pullback < 3; pullback++) {
                for (int rep = 0; rep < 3; rep++) {
                    float alpha = rep == 2 ? value(r) : alphas[r.nextInt(alphas.length)];
                    out.add(new Rec(OP_SYNC_ONLY, null, 0, new float[StepArgs.MAX_SCALARS], true, alpha, (float) (1 - (double) alpha),
                            pullback, hasM == 1, arrays(r), "syncOnly hasM=" + (hasM == 1) + " pullback=" + pullback));
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ the Java side

    static float[][] runJava(Rec c) {
        float[][] a = new float[7][];
        for (int k = 0; k < 7; k++) a[k] = c.arrays[k].clone();
        if (c.op == OP_SYNC_ONLY) {
            CpuKernels.syncOnly(0, N, a[0], c.hasM ? a[2] : null, a[5], a[6], c.alpha, c.oneMinusAlpha, c.pullback);
        } else {
            CpuKernels.run(c.rule, 0, N, a[0], a[1], a[2], a[3], a[4], a[5], a[6], c.s, c.flags, c.sync, c.alpha, c.oneMinusAlpha, c.pullback);
        }
        return a;
    }

    // ------------------------------------------------------------------ the host side

    static byte[] encode(List<Rec> recs) {
        int bytes = 8;
        for (Rec c : recs) bytes += 4 * (2 + StepArgs.MAX_SCALARS + 6) + 7 * 4 * N;
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {'L', 'A', 'H', '1'}).putInt(recs.size());
        for (Rec c : recs) {
            b.putInt(c.op).putInt(c.flags);
            for (float x : c.s) b.putFloat(x);
            b.putInt(c.sync ? 1 : 0).putFloat(c.alpha).putFloat(c.oneMinusAlpha).putInt(c.pullback).putInt(c.hasM ? 1 : 0).putInt(N);
            for (float[] x : c.arrays) for (float v : x) b.putFloat(v);
        }
        return b.array();
    }

    static Path hostBinary() {
        Path bin = NativeBuild.nativeDir().resolve("la_host");
        if (!Files.isExecutable(bin)) NativeBuild.missing(bin.toString(), NativeBuild.nvccPresent());
        return bin;
    }

    @Test
    void hostBuildOfRulesCuhEqualsCpuKernelsBitForBit(@TempDir Path tmp) throws Exception {
        Path bin = hostBinary();
        List<Rec> recs = records();
        Path in = tmp.resolve("in.bin"), out = tmp.resolve("out.bin");
        Files.write(in, encode(recs));
        Process proc = new ProcessBuilder(bin.toString(), in.toString(), out.toString()).redirectErrorStream(true).start();
        assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "la_host did not finish");
        String log = new String(proc.getInputStream().readAllBytes());
        assertEquals(0, proc.exitValue(), "la_host failed: " + log);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        b.get(magic);
        assertEquals("LAH1", new String(magic));
        assertEquals(recs.size(), b.getInt());
        String[] names = {"p", "g", "s0", "s1", "s2", "slow", "cache"};
        int mismatches = 0;
        StringBuilder report = new StringBuilder();
        for (Rec c : recs) {
            float[][] exp = runJava(c);
            for (int k = 0; k < 7; k++) {
                for (int i = 0; i < N; i++) {
                    float got = b.getFloat();
                    if (Float.floatToIntBits(got) != Float.floatToIntBits(exp[k][i]) && mismatches++ < 10) {
                        report.append(String.format("%s: %s[%d] java %s (0x%08x) host %s (0x%08x); inputs p=%s g=%s s0=%s s1=%s s2=%s slow=%s cache=%s%n",
                                c.label, names[k], i, exp[k][i], Float.floatToRawIntBits(exp[k][i]), got, Float.floatToRawIntBits(got),
                                c.arrays[0][i], c.arrays[1][i], c.arrays[2][i], c.arrays[3][i], c.arrays[4][i], c.arrays[5][i], c.arrays[6][i]));
                    }
                }
            }
        }
        if (mismatches > 0) fail(mismatches + " elements differ between rules.cuh (host build) and CpuKernels:\n" + report);
        assertTrue(recs.size() > 600, "expected the full table of cases, got " + recs.size());
    }

    /** The inputs really contain what the class comment promises (so the test cannot silently lose them). */
    @Test
    void inputsCoverTheSpecialValues() {
        boolean zero = false, negZero = false, denormal = false, nan = false, posInf = false, negInf = false, huge = false;
        for (Rec c : records()) {
            for (float[] x : c.arrays) {
                for (float v : x) {
                    int bits = Float.floatToRawIntBits(v);
                    zero |= bits == 0;
                    negZero |= bits == 0x80000000;
                    denormal |= v != 0 && Math.abs(v) < Float.MIN_NORMAL;
                    nan |= Float.isNaN(v);
                    posInf |= v == Float.POSITIVE_INFINITY;
                    negInf |= v == Float.NEGATIVE_INFINITY;
                    huge |= Float.isFinite(v) && Math.abs(v) > 1e30f;
                }
            }
        }
        assertTrue(zero && negZero && denormal && nan && posInf && negInf && huge, "special values missing from the inputs");
    }
}
