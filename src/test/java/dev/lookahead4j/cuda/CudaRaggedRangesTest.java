package dev.lookahead4j.cuda;

import static dev.lookahead4j.backend.RuleKind.F_AMSGRAD;
import static dev.lookahead4j.backend.RuleKind.F_CENTERED;
import static dev.lookahead4j.backend.RuleKind.F_MOMENTUM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.backend.Backend;
import dev.lookahead4j.backend.Buffer;
import dev.lookahead4j.backend.GroupRange;
import dev.lookahead4j.backend.PreparedStep;
import dev.lookahead4j.backend.RuleKind;
import dev.lookahead4j.backend.StepArgs;
import dev.lookahead4j.backend.StepBuffers;
import dev.lookahead4j.cpu.CpuBackend;
import dev.lookahead4j.kernels.HostKernelMathTest;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The backend SPI with group ranges the arena never makes (it aligns groups to 32 elements): ranges that
 * start and end off the kernels' 4-element vector grid, one inside a single float4, one a single element,
 * so the step kernels' ragged head and tail paths run. Every rule with none and with all of its flags;
 * no sync, and sync with each pullback policy; finite inputs and adversarial ones (±0, denormals, huge,
 * NaN, ±Inf, with adversarial scalars). One step, then a forced sync, then the reductions, on CUDA and on
 * the CPU backend: all seven buffers bit for bit (the elements outside the ranges untouched on both),
 * finiteness equal, the sums to the last bit. On a GPU, and on cuda-emu in CI.
 */
class CudaRaggedRangesTest {
    static final int LENGTH = 5003;
    static final GroupRange[] RANGES = {
        new GroupRange(1, 6), new GroupRange(6, 7), new GroupRange(9, 11), new GroupRange(13, 4099), new GroupRange(4101, 5002),
    };
    static Backend cuda, cpu;

    @BeforeAll
    static void open() {
        cuda = CudaBackend.of(CudaTests.openOrSkip());
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void close() {
        if (cuda != null) cuda.close();
        if (cpu != null) cpu.close();
    }

    static Stream<Arguments> configs() {
        List<Arguments> out = new ArrayList<>();
        for (RuleKind rule : RuleKind.values()) {
            int all = 0;
            for (int f : HostKernelMathTest.relevantFlags(rule)) all |= f;
            for (int flags : new int[] {0, all}) {
                for (int mode = 0; mode < 4; mode++) { // no sync; sync with NONE, RESET, PULLBACK
                    for (boolean adversarial : new boolean[] {false, true}) out.add(Arguments.of(rule, flags, mode, adversarial));
                }
            }
        }
        return out.stream();
    }

    /** The seven buffers of one side: p, g, s0, s1, s2, slow, cache (null where the configuration has none). */
    static Buffer[] buffers(Backend b, RuleKind rule, int flags, int mode, float[][] init) {
        boolean s0 = rule == RuleKind.ADAM || rule == RuleKind.RADAM || rule == RuleKind.NADAM
                || ((rule == RuleKind.SGD || rule == RuleKind.RMSPROP) && (flags & F_MOMENTUM) != 0);
        boolean s1 = rule != RuleKind.SGD;
        boolean s2 = (rule == RuleKind.ADAM && (flags & F_AMSGRAD) != 0) || (rule == RuleKind.RMSPROP && (flags & F_CENTERED) != 0);
        boolean[] present = {true, true, s0, s1, s2, true, mode == 3 && s0};
        Buffer[] out = new Buffer[7];
        for (int k = 0; k < 7; k++) {
            if (!present[k]) continue;
            out[k] = b.allocate("b" + k, LENGTH);
            out[k].write(0, init[k], 0, LENGTH);
        }
        return out;
    }

    static void assertSameBits(String what, double expected, double actual) {
        assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(actual), what + ": cpu " + expected + ", cuda " + actual);
    }

    @ParameterizedTest(name = "{0} flags={1} mode={2} adversarial={3}")
    @MethodSource("configs")
    void raggedRangesEqualTheCpuBackend(RuleKind rule, int flags, int mode, boolean adversarial) {
        SplittableRandom r = new SplittableRandom(rule.id * 1000L + flags * 10L + mode + (adversarial ? 7 : 0));
        float[][] init = new float[7][LENGTH];
        for (float[] x : init) {
            for (int i = 0; i < LENGTH; i++) x[i] = adversarial ? HostKernelMathTest.value(r) : (float) r.nextGaussian();
        }
        StepArgs args = new StepArgs(RANGES.length);
        for (int g = 0; g < RANGES.length; g++) {
            float[] s = adversarial && g % 2 == 1 ? HostKernelMathTest.adversarialScalars(r) : HostKernelMathTest.realisticScalars(rule, r);
            System.arraycopy(s, 0, args.scalars[g], 0, StepArgs.MAX_SCALARS);
            args.flags[g] = flags;
        }
        args.sync = mode > 0;
        args.alpha = 0.3f;
        args.oneMinusAlpha = (float) (1 - (double) 0.3f);
        args.pullback = mode == 0 ? RuleKind.PULLBACK_NONE : mode - 1;
        Buffer[] c = buffers(cpu, rule, flags, mode, init), g = buffers(cuda, rule, flags, mode, init);
        try {
            PreparedStep pc = cpu.prepare(rule, new StepBuffers(c[0], c[1], c[2], c[3], c[4], c[5], c[6]), RANGES, args);
            PreparedStep pg = cuda.prepare(rule, new StepBuffers(g[0], g[1], g[2], g[3], g[4], g[5], g[6]), RANGES, args);
            String label = rule + " flags " + flags + " mode " + mode + (adversarial ? " adversarial" : "");
            pc.step();
            pg.step();
            compare(label + " after a step", c, g);
            args.sync = true;
            pc.syncOnly();
            pg.syncOnly();
            compare(label + " after a forced sync", c, g);
            assertEquals(pc.gradientsFinite(), pg.gradientsFinite(), label + ": gradientsFinite");
            assertSameBits(label + ": gradient squared norm", pc.gradientSquaredNorm(), pg.gradientSquaredNorm());
            assertSameBits(label + ": slow distance squared", pc.slowDistanceSquared(), pg.slowDistanceSquared());
        } finally {
            for (Buffer b : c) if (b != null) b.close();
            for (Buffer b : g) if (b != null) b.close();
        }
    }

    /**
     * 70 groups, 63 of them non-empty (more than the 32 one launch takes: two launches), of every size
     * from empty and one element to several thousand, ragged, each with its own scalars: a step with a
     * sync, then the reductions, equal the CPU backend's to the bit.
     */
    @org.junit.jupiter.api.Test
    void seventyGroupsInThreeLaunchesEqualTheCpuBackend() {
        SplittableRandom r = new SplittableRandom(70);
        GroupRange[] ranges = new GroupRange[70];
        int at = 0;
        for (int k = 0; k < ranges.length; k++) {
            int len = k % 10 == 3 ? 0 : k % 10 == 5 ? 1 : r.nextInt(1, k % 4 == 0 ? 5000 : 300);
            ranges[k] = new GroupRange(at, at + len);
            at += len + r.nextInt(0, 3);
        }
        int length = at + 5;
        float[][] init = new float[7][length];
        for (float[] x : init) for (int i = 0; i < length; i++) x[i] = (float) r.nextGaussian();
        StepArgs args = new StepArgs(ranges.length);
        for (int g = 0; g < ranges.length; g++) {
            System.arraycopy(HostKernelMathTest.realisticScalars(RuleKind.ADAM, r), 0, args.scalars[g], 0, StepArgs.MAX_SCALARS);
            args.flags[g] = g % 3 == 0 ? RuleKind.F_WEIGHT_DECAY | RuleKind.F_DECOUPLED : 0;
        }
        args.sync = true;
        args.alpha = 0.5f;
        args.oneMinusAlpha = 0.5f;
        args.pullback = RuleKind.PULLBACK_PULLBACK;
        Buffer[] c = new Buffer[7], g = new Buffer[7];
        for (int k = 0; k < 7; k++) {
            if (k == 4) continue; // no s2 (no AMSGrad)
            c[k] = cpu.allocate("c" + k, length);
            g[k] = cuda.allocate("g" + k, length);
            c[k].write(0, init[k], 0, length);
            g[k].write(0, init[k], 0, length);
        }
        try {
            PreparedStep pc = cpu.prepare(RuleKind.ADAM, new StepBuffers(c[0], c[1], c[2], c[3], c[4], c[5], c[6]), ranges, args);
            PreparedStep pg = cuda.prepare(RuleKind.ADAM, new StepBuffers(g[0], g[1], g[2], g[3], g[4], g[5], g[6]), ranges, args);
            assertEquals(2, ((CudaStep) pg).launches(), "63 non-empty groups: two launches of at most 32");
            pc.step();
            pg.step();
            String[] names = {"p", "g", "s0", "s1", "s2", "slow", "cache"};
            for (int k = 0; k < 7; k++) {
                if (c[k] != null) CudaTests.assertBits("70 groups: " + names[k], CudaTests.readAll(c[k]), CudaTests.readAll(g[k]));
            }
            assertSameBits("70 groups: gradient squared norm", pc.gradientSquaredNorm(), pg.gradientSquaredNorm());
            assertSameBits("70 groups: slow distance squared", pc.slowDistanceSquared(), pg.slowDistanceSquared());
        } finally {
            for (Buffer b : c) if (b != null) b.close();
            for (Buffer b : g) if (b != null) b.close();
        }
    }

    static void compare(String label, Buffer[] c, Buffer[] g) {
        String[] names = {"p", "g", "s0", "s1", "s2", "slow", "cache"};
        for (int k = 0; k < 7; k++) {
            if (c[k] == null) continue;
            CudaTests.assertBits(label + " " + names[k], CudaTests.readAll(c[k]), CudaTests.readAll(g[k]));
        }
    }
}
