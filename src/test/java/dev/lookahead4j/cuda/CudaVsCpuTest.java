package dev.lookahead4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.Device;
import dev.lookahead4j.GroupOptions;
import dev.lookahead4j.Lookahead;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.ParamArena;
import dev.lookahead4j.Pullback;
import dev.lookahead4j.backend.Buffer;
import dev.lookahead4j.optim.Adagrad;
import dev.lookahead4j.optim.Adam;
import dev.lookahead4j.optim.InnerOptimizer;
import dev.lookahead4j.optim.NAdam;
import dev.lookahead4j.optim.RAdam;
import dev.lookahead4j.optim.RmsProp;
import dev.lookahead4j.optim.Sgd;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random arenas of about 11M parameters (690K on cuda-emu) in two groups (odd sizes, a per-group learning rate and
 * weight decay), 50 steps: CUDA and the CPU backend end with bit-identical parameters, slow weights and
 * every state buffer, for every rule and its options, without Lookahead and with it (each pullback
 * policy), also after a forced sync. The reductions repeat exactly and equal the CPU's to the last bit.
 * On a GPU, and on cuda-emu in CI.
 */
class CudaVsCpuTest {
    static final int STEPS = 50;
    static final String[][] GPU_LAYOUT = {
        {"decay", "w1", "4000003"}, {"decay", "w2", "3999971"}, {"decay", "emb", "1234567"},
        {"no_decay", "b1", "1"}, {"no_decay", "b2", "33"}, {"no_decay", "ln", "1000000"}, {"no_decay", "odd", "765433"},
    };
    /** On cuda-emu (one CPU thread runs every CUDA thread) a 16th of it: still ~8 grid-stride rounds per group. */
    static final String[][] EMULATOR_LAYOUT = {
        {"decay", "w1", "250003"}, {"decay", "w2", "249971"}, {"decay", "emb", "77161"},
        {"no_decay", "b1", "1"}, {"no_decay", "b2", "33"}, {"no_decay", "ln", "62500"}, {"no_decay", "odd", "47837"},
    };
    static final String[][] LAYOUT = CudaTests.onEmulator() ? EMULATOR_LAYOUT : GPU_LAYOUT;
    static Device cuda, cpu;
    static float[][] grads; // a few gradient sets, cycled
    static float[] init;

    @BeforeAll
    static void open() {
        cuda = CudaTests.openOrSkip();
        cpu = Device.cpu();
        long length;
        try (ParamArena a = layout(cpu)) { length = a.length(); }
        init = random((int) length, 1, false);
        grads = new float[4][];
        for (int k = 0; k < grads.length; k++) grads[k] = random((int) length, 100 + k, true);
    }

    @AfterAll
    static void close() {
        if (cuda != null) cuda.close();
        if (cpu != null) cpu.close();
    }

    static ParamArena layout(Device d) {
        ParamArena.Builder b = ParamArena.builder();
        for (String[] p : LAYOUT) b.group(p[0]).add(p[1], Integer.parseInt(p[2]));
        return b.build(d);
    }

    /** N(0,1)-ish values, 5% zeros, some tiny and huge; with specials: a few NaN and Inf too. Deterministic, parallel. */
    static float[] random(int n, long seed, boolean specials) {
        float[] x = new float[n];
        int chunk = 1 << 20;
        IntStream.range(0, (n + chunk - 1) / chunk).parallel().forEach(c -> {
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + c);
            for (int i = c * chunk, e = Math.min(n, i + chunk); i < e; i++) {
                int k = r.nextInt(100);
                x[i] = k < 5 ? 0f : k < 7 ? (float) (r.nextGaussian() * 1e-9) : k < 9 ? (float) (r.nextGaussian() * 300) : (float) r.nextGaussian();
            }
        });
        if (specials) {
            SplittableRandom r = new SplittableRandom(seed);
            for (int j = 0; j < 3; j++) {
                x[r.nextInt(n)] = Float.NaN;
                x[r.nextInt(n)] = Float.POSITIVE_INFINITY;
                x[r.nextInt(n)] = Float.MIN_VALUE * (1 + r.nextInt(1000));
            }
        }
        return x;
    }

    static Stream<Arguments> configs() {
        Map<String, InnerOptimizer> inners = new java.util.LinkedHashMap<>();
        inners.put("sgd", Sgd.builder().lr(0.01).build());
        inners.put("sgd_momentum_dampening_wd", Sgd.builder().lr(0.01).momentum(0.9).dampening(0.1).weightDecay(1e-4).build());
        inners.put("sgd_nesterov_wd_maximize", Sgd.builder().lr(0.01).momentum(0.9).nesterov(true).weightDecay(1e-4).maximize(true).build());
        inners.put("adam", Adam.builder().build());
        inners.put("adam_l2_amsgrad", Adam.builder().weightDecay(1e-2).amsgrad(true).build());
        inners.put("adamw", Adam.adamWBuilder().build());
        inners.put("adamw_amsgrad_maximize", Adam.adamWBuilder().amsgrad(true).maximize(true).build());
        inners.put("rmsprop", RmsProp.builder().build());
        inners.put("rmsprop_centered_momentum_wd", RmsProp.builder().centered(true).momentum(0.9).weightDecay(1e-4).build());
        inners.put("adagrad", Adagrad.builder().lrDecay(0.01).weightDecay(1e-4).initialAccumulatorValue(0.1).build());
        inners.put("radam_wd", RAdam.builder().weightDecay(1e-4).build());
        inners.put("nadam_wd", NAdam.builder().weightDecay(1e-4).build());
        List<Arguments> out = new ArrayList<>();
        for (Map.Entry<String, InnerOptimizer> e : inners.entrySet()) {
            out.add(Arguments.of(e.getKey(), e.getValue(), null));
            out.add(Arguments.of(e.getKey(), e.getValue(), Lookahead.builder().syncPeriod(3).slowStepSize(0.5).pullback(Pullback.PULLBACK).build()));
            if (List.of("sgd_momentum_dampening_wd", "adam", "rmsprop_centered_momentum_wd", "adagrad").contains(e.getKey())) {
                out.add(Arguments.of(e.getKey(), e.getValue(), Lookahead.builder().syncPeriod(5).slowStepSize(0.5).pullback(Pullback.NONE).build()));
                out.add(Arguments.of(e.getKey(), e.getValue(), Lookahead.builder().syncPeriod(5).slowStepSize(0.8).pullback(Pullback.RESET).build()));
            }
        }
        return out.stream();
    }

    static final class Run implements AutoCloseable {
        final ParamArena arena;
        final Optimizer opt;

        Run(Device d, InnerOptimizer inner, Lookahead la) {
            arena = layout(d);
            arena.valuesBuffer().write(0, init, 0, init.length);
            opt = Optimizer.builder(arena, inner).lookahead(la)
                    .group("no_decay", GroupOptions.builder().lr(inner.lr() * 0.5).weightDecay(0.0).build()).build();
        }

        void step(int s) {
            float[] g = grads[s % grads.length];
            arena.gradsBuffer().write(0, g, 0, g.length);
            opt.step();
        }

        @Override public void close() {
            opt.close();
            arena.close();
        }
    }

    static void compareAll(String label, Run c, Run g) {
        CudaTests.assertBits(label + " params", CudaTests.readAll(c.arena.valuesBuffer()), CudaTests.readAll(g.arena.valuesBuffer()));
        Map<String, Buffer> cs = c.opt.stateBuffers(), gs = g.opt.stateBuffers();
        assertEquals(cs.keySet(), gs.keySet());
        for (String k : cs.keySet()) CudaTests.assertBits(label + " " + k, CudaTests.readAll(cs.get(k)), CudaTests.readAll(gs.get(k)));
    }

    @ParameterizedTest(name = "{0} lookahead={2}")
    @MethodSource("configs")
    void cudaEqualsCpuBitForBit(String name, InnerOptimizer inner, Lookahead la) {
        try (Run c = new Run(cpu, inner, la); Run g = new Run(cuda, inner, la)) {
            assertTrue(CudaTests.onEmulator() || c.arena.parameterCount() >= 10_000_000);
            for (int s = 1; s <= STEPS; s++) {
                c.step(s);
                g.step(s);
                if (s == 1 || s == 25) compareAll(name + " step " + s, c, g);
            }
            compareAll(name + " step " + STEPS, c, g);
            double nc = c.opt.gradientNorm(), ng = g.opt.gradientNorm();
            assertEquals(Double.doubleToLongBits(ng), Double.doubleToLongBits(g.opt.gradientNorm()), "GPU gradient norm not repeatable");
            assertEquals(Double.doubleToLongBits(nc), Double.doubleToLongBits(ng), "gradient norm: cpu " + nc + " cuda " + ng);
            if (la != null) {
                double dc = c.opt.slowDistance(), dg = g.opt.slowDistance();
                assertEquals(Double.doubleToLongBits(dc), Double.doubleToLongBits(dg), "slow distance: cpu " + dc + " cuda " + dg);
                c.opt.sync();
                g.opt.sync();
                compareAll(name + " after a forced sync", c, g);
            }
        }
    }
}
