package dev.lookahead4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.optim.Adagrad;
import dev.lookahead4j.optim.Adam;
import dev.lookahead4j.optim.InnerOptimizer;
import dev.lookahead4j.optim.Sgd;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Lookahead's semantics: hand traces, k = 1, alpha in {0, 0.5, 1}, pullback policies, forced sync, slow-weight evaluation. */
class LookaheadSemanticsTest {
    static Device cpu;

    @BeforeAll static void open() { cpu = Device.cpu(2); }
    @AfterAll static void close() { cpu.close(); }

    static ParamArena arena(float... init) {
        ParamArena a = ParamArena.builder().add("w", init.length).build(cpu);
        a.setValues("w", init);
        return a;
    }

    /**
     * SGD(lr=1), gradient 1, k = 2, alpha = 0.5, theta0 = 3:
     * step 1: theta 2; step 2: theta 1 -> sync phi = 3 + 0.5(1-3) = 2, theta = 2;
     * step 3: theta 1; step 4: theta 0 -> sync phi = 2 + 0.5(0-2) = 1, theta = 1; step 5: theta 0.
     */
    @Test
    void handTrace() {
        float[] theta = {2, 2, 1, 1, 0};
        float[] phi = {3, 2, 2, 1, 1};
        try (ParamArena a = arena(3f);
             Optimizer opt = Optimizer.builder(a, Sgd.builder().lr(1).build())
                     .lookahead(Lookahead.builder().syncPeriod(2).slowStepSize(0.5).build()).build()) {
            assertEquals(0.0, opt.slowDistance());
            for (int s = 0; s < 5; s++) {
                a.setGrad("w", new float[] {1f});
                assertTrue(opt.step());
                assertEquals(theta[s], a.values("w")[0], "theta after step " + (s + 1));
                assertEquals(phi[s], opt.slowValues("w")[0], "phi after step " + (s + 1));
                assertEquals(Math.abs(theta[s] - phi[s]), opt.slowDistance(), 0.0, "distance after step " + (s + 1));
            }
            assertEquals(5, opt.stepCount());
        }
    }

    /** alpha = 0: the slow weights never move, so every sync puts theta back to theta0. */
    @Test
    void alphaZeroReturnsToStart() {
        float[] init = {0.5f, -1.25f, 3f};
        try (ParamArena a = arena(init);
             Optimizer opt = Optimizer.builder(a, Adam.builder().lr(0.1).build())
                     .lookahead(Lookahead.builder().syncPeriod(3).slowStepSize(0).build()).build()) {
            for (int s = 1; s <= 9; s++) {
                a.setGrad("w", new float[] {0.3f, -2f, 1e-3f});
                opt.step();
                if (s % 3 == 0) assertArrayEquals(init, a.values("w"), "after sync step " + s);
                else assertTrue(a.values("w")[0] != init[0], "moved at step " + s);
                assertArrayEquals(init, opt.slowValues("w"));
            }
        }
    }

    /** k = 1 with alpha in {0, 0.5, 1}: theta == phi after every step; phi_t = phi_{t-1} + alpha (theta_inner - phi_{t-1}). */
    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.5, 1.0})
    void kOne(double alpha) {
        float[] init = {1f, -2f, 0.25f, 7f};
        SplittableRandom r = new SplittableRandom(7);
        try (ParamArena a = arena(init); ParamArena plain = arena(init);
             Optimizer la = Optimizer.builder(a, Sgd.builder().lr(0.05).build())
                     .lookahead(Lookahead.builder().syncPeriod(1).slowStepSize(alpha).build()).build();
             Optimizer sgd = Optimizer.builder(plain, Sgd.builder().lr(0.05).build()).build()) {
            for (int s = 1; s <= 6; s++) {
                float[] g = new float[init.length];
                for (int i = 0; i < g.length; i++) g[i] = (float) r.nextGaussian();
                float[] before = a.values("w");
                // the plain inner step from the same point, then the interpolation by hand
                plain.setValues("w", before);
                plain.setGrad("w", g);
                sgd.step();
                float[] inner = plain.values("w");
                a.setGrad("w", g);
                la.step();
                float[] expect = new float[init.length];
                for (int i = 0; i < expect.length; i++) expect[i] = Math.fma((float) alpha, inner[i] - before[i], before[i]);
                assertArrayEquals(expect, a.values("w"), "theta after step " + s);
                assertArrayEquals(a.values("w"), la.slowValues("w"), "theta == phi after step " + s);
                if (alpha == 0) assertArrayEquals(init, a.values("w"));
                if (alpha == 1) assertArrayEquals(inner, a.values("w"), "alpha = 1 follows the inner optimizer here");
            }
        }
    }

    /**
     * SGD momentum 0.9, dampening 0.5, k = 2. RESET zeroes the buffer at the sync, and the next step uses
     * (1 - dampening) d, not the first-step rule buf = d. PULLBACK blends with the cached copy (zero at first).
     */
    @Test
    void resetAndPullbackOnSgdMomentum() {
        Sgd inner = Sgd.builder().lr(0.1).momentum(0.9).dampening(0.5).build();
        float[] g1 = {1f, -2f}, g2 = {0.5f, 0.5f}, g3 = {-1f, 3f};
        float mu = 0.9f, damp = 0.5f, alpha = 0.5f, oneMinusAlpha = 0.5f;
        // buffers by hand (float ops as the kernel does them)
        float[] b1 = g1.clone();                                       // first step: buf = d
        float[] b2 = new float[2];
        for (int i = 0; i < 2; i++) b2[i] = Math.fma(damp, g2[i], b1[i] * mu);
        for (Pullback policy : Pullback.values()) {
            try (ParamArena a = arena(0f, 0f);
                 Optimizer opt = Optimizer.builder(a, inner)
                         .lookahead(Lookahead.builder().syncPeriod(2).slowStepSize(0.5).pullback(policy).build()).build()) {
                a.setGrad("w", g1);
                opt.step();
                assertArrayEquals(b1, opt.stateValues("momentum_buffer", "w"), policy + " step 1");
                a.setGrad("w", g2);
                opt.step(); // sync
                float[] afterSync = opt.stateValues("momentum_buffer", "w");
                float[] expect = switch (policy) {
                    case NONE -> b2;
                    case RESET -> new float[] {0f, 0f};
                    case PULLBACK -> new float[] {Math.fma(oneMinusAlpha, 0f, b2[0] * alpha), Math.fma(oneMinusAlpha, 0f, b2[1] * alpha)};
                };
                assertArrayEquals(expect, afterSync, policy + " buffer after the sync");
                if (policy == Pullback.PULLBACK) assertArrayEquals(expect, opt.stateValues("cached_momentum", "w"), "cache = m");
                a.setGrad("w", g3);
                opt.step();
                float[] b3 = new float[2];
                for (int i = 0; i < 2; i++) b3[i] = Math.fma(damp, g3[i], expect[i] * mu);
                assertArrayEquals(b3, opt.stateValues("momentum_buffer", "w"), policy + " step 3 uses (1-dampening) d");
            }
        }
    }

    /** Rules without a first moment ignore RESET/PULLBACK: same trajectory as NONE, bit for bit. */
    @Test
    void policiesAreNoOpsWithoutFirstMoment() {
        for (InnerOptimizer inner : new InnerOptimizer[] {Adagrad.builder().lr(0.1).build(), Sgd.builder().lr(0.1).build()}) {
            float[][] results = new float[3][];
            for (Pullback policy : Pullback.values()) {
                try (ParamArena a = arena(1f, 2f, 3f);
                     Optimizer opt = Optimizer.builder(a, inner)
                             .lookahead(Lookahead.builder().syncPeriod(2).pullback(policy).build()).build()) {
                    assertTrue(!opt.stateBuffers().containsKey("cached_momentum"));
                    for (int s = 0; s < 5; s++) {
                        a.setGrad("w", new float[] {0.1f * s, -1f, 2f});
                        opt.step();
                    }
                    results[policy.ordinal()] = a.values("w");
                }
            }
            assertArrayEquals(results[0], results[1], inner.typeName());
            assertArrayEquals(results[0], results[2], inner.typeName());
        }
    }

    /** The forced sync interpolates now and keeps the counter; the scheduled syncs still come at k, 2k. */
    @Test
    void forcedSyncKeepsTheCycle() {
        try (ParamArena a = arena(3f);
             Optimizer opt = Optimizer.builder(a, Sgd.builder().lr(1).build())
                     .lookahead(Lookahead.builder().syncPeriod(3).slowStepSize(0.5).build()).build()) {
            a.setGrad("w", new float[] {1f});
            opt.step();                       // theta 2, phi 3
            opt.sync();                       // phi = 3 + 0.5(2-3) = 2.5, theta = 2.5
            assertEquals(2.5f, a.values("w")[0]);
            assertEquals(2.5f, opt.slowValues("w")[0]);
            assertEquals(1, opt.stepCount());
            opt.step();                       // theta 1.5
            opt.step();                       // theta 0.5, scheduled sync at 3: phi = 2.5 + 0.5(0.5-2.5) = 1.5
            assertEquals(1.5f, a.values("w")[0]);
            assertEquals(1.5f, opt.slowValues("w")[0]);
        }
    }

    /** withSlowWeights loads phi, restores theta afterwards, also when the body throws; step() is refused inside. */
    @Test
    void slowWeightEvaluationRestores() {
        try (ParamArena a = arena(3f, 4f);
             Optimizer opt = Optimizer.builder(a, Sgd.builder().lr(1).build())
                     .lookahead(Lookahead.builder().syncPeriod(5).build()).build()) {
            a.setGrad("w", new float[] {1f, -1f});
            opt.step();
            float[] fast = a.values("w");
            float[] seen = opt.withSlowWeights(() -> a.values("w"));
            assertArrayEquals(new float[] {3f, 4f}, seen);
            assertArrayEquals(fast, a.values("w"));
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> opt.withSlowWeights(() -> {
                a.setValues("w", new float[] {99f, 99f}); // even if the body scribbles on the weights
                throw boom;
            }));
            assertSame(boom, thrown);
            assertArrayEquals(fast, a.values("w"));
            assertThrows(java.util.ConcurrentModificationException.class, () -> opt.withSlowWeights(opt::step));
            assertArrayEquals(fast, a.values("w"));
            assertEquals(1, opt.stepCount());
        }
    }

    @Test
    void lookaheadOnlyCallsNeedLookahead() {
        try (ParamArena a = arena(1f); Optimizer opt = Optimizer.builder(a, Sgd.builder().build()).build()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, opt::sync);
            assertEquals("sync() needs Lookahead; this optimizer is a plain sgd", e.getMessage());
            assertThrows(IllegalStateException.class, opt::slowDistance);
            assertThrows(IllegalStateException.class, () -> opt.withSlowWeights(() -> { }));
        }
    }
}
