package dev.lookahead4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lookahead4j.optim.Adam;
import dev.lookahead4j.optim.Sgd;
import dev.lookahead4j.schedule.LearningRateSchedule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Per-group learning rate and weight decay, and every learning-rate schedule. */
class GroupsAndSchedulesTest {
    static Device cpu;

    @BeforeAll static void open() { cpu = Device.cpu(2); }
    @AfterAll static void close() { cpu.close(); }

    /** Each group steps exactly as a one-group optimizer with that group's settings would. */
    @Test
    void groupOverridesMatchSeparateOptimizers() {
        float[] w = {0.5f, -1f, 2f, 0.25f}, b = {0.1f, -0.2f};
        float[] gw = {0.3f, -0.7f, 1e-3f, 5f}, gb = {1f, -1f};
        Adam base = Adam.adamWBuilder().lr(1e-2).weightDecay(0.1).build();
        try (ParamArena a = ParamArena.builder().group("decay").add("w", 4).group("no_decay").add("b", 2).build(cpu);
             ParamArena aw = ParamArena.builder().add("w", 4).build(cpu);
             ParamArena ab = ParamArena.builder().add("b", 2).build(cpu)) {
            a.setValues("w", w);
            a.setValues("b", b);
            aw.setValues("w", w);
            ab.setValues("b", b);
            try (Optimizer opt = Optimizer.builder(a, base)
                         .group("no_decay", GroupOptions.builder().weightDecay(0).lr(3e-2).build()).build();
                 Optimizer ow = Optimizer.builder(aw, base).build();
                 Optimizer ob = Optimizer.builder(ab, Adam.adamWBuilder().lr(3e-2).weightDecay(0).build()).build()) {
                assertEquals(3e-2, opt.learningRate("no_decay"));
                assertEquals(1e-2, opt.learningRate("decay"));
                for (int s = 0; s < 7; s++) {
                    a.setGrad("w", gw);
                    a.setGrad("b", gb);
                    aw.setGrad("w", gw);
                    ab.setGrad("b", gb);
                    opt.step();
                    ow.step();
                    ob.step();
                    assertArrayEquals(aw.values("w"), a.values("w"), "decay group at step " + (s + 1));
                    assertArrayEquals(ab.values("b"), a.values("b"), "no_decay group at step " + (s + 1));
                }
            }
        }
    }

    @Test
    void unknownGroupRejected() {
        try (ParamArena a = ParamArena.builder().group("decay").add("w", 4).build(cpu)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Optimizer.builder(a, Sgd.builder().build()).group("bias", GroupOptions.builder().build()));
            assertEquals("Unknown parameter group: 'bias' (groups: [decay])", e.getMessage());
        }
    }

    @Test
    void scheduleValues() {
        double base = 0.1;
        LearningRateSchedule c = LearningRateSchedule.constant();
        assertEquals(0.1, c.lr(base, 12345));
        LearningRateSchedule st = LearningRateSchedule.step(3, 0.5);
        double[] stepExp = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025};
        for (int t = 0; t < stepExp.length; t++) assertEquals(stepExp[t], st.lr(base, t), 1e-15, "step at " + t);
        LearningRateSchedule ms = LearningRateSchedule.multiStep(new long[] {2, 5}, 0.1);
        double[] msExp = {0.1, 0.1, 0.01, 0.01, 0.01, 0.001};
        for (int t = 0; t < msExp.length; t++) assertEquals(msExp[t], ms.lr(base, t), 1e-15, "multistep at " + t);
        LearningRateSchedule ex = LearningRateSchedule.exponential(0.9);
        assertEquals(0.1 * 0.9 * 0.9 * 0.9, ex.lr(base, 3), 1e-15);
        LearningRateSchedule cos = LearningRateSchedule.cosine(10, 0.01);
        assertEquals(0.1, cos.lr(base, 0), 1e-15);
        assertEquals(0.055, cos.lr(base, 5), 1e-15);
        assertEquals(0.01, cos.lr(base, 10), 1e-15);
        assertEquals(0.01 + 0.09 * (1 + Math.cos(Math.PI * 0.3)) / 2, cos.lr(base, 3), 1e-15);
        LearningRateSchedule wu = LearningRateSchedule.warmup(4, 0.25, LearningRateSchedule.step(2, 0.5));
        double[] wuExp = {0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1, 0.05, 0.05, 0.025};
        for (int t = 0; t < wuExp.length; t++) assertEquals(wuExp[t], wu.lr(base, t), 1e-15, "warmup at " + t);
    }

    /** SGD with lr(t) and gradient 1 moves p by exactly -lr(t) each step: the optimizer uses the schedule per step. */
    @Test
    void optimizerFollowsSchedule() {
        LearningRateSchedule sched = LearningRateSchedule.multiStep(new long[] {2, 4}, 0.5);
        try (ParamArena a = ParamArena.builder().add("w", 1).build(cpu);
             Optimizer opt = Optimizer.builder(a, Sgd.builder().lr(1).build()).schedule(sched).build()) {
            float expect = 0;
            for (int t = 0; t < 6; t++) {
                assertEquals(sched.lr(1, t), opt.learningRate("default"));
                a.setGrad("w", new float[] {1f});
                opt.step();
                expect = Math.fma((float) -sched.lr(1, t), 1f, expect);
                assertEquals(expect, a.values("w")[0], "after step " + (t + 1));
            }
        }
    }

    /** A user schedule returning a bad value is refused before anything changes. */
    @Test
    void badScheduleValueChangesNothing() {
        try (ParamArena a = ParamArena.builder().add("w", 2).build(cpu);
             Optimizer opt = Optimizer.builder(a, Adam.builder().build())
                     .schedule((base, step) -> step < 2 ? base : -1).build()) {
            a.setGrad("w", new float[] {1f, 2f});
            opt.step();
            opt.step();
            float[] p = a.values("w"), m = opt.stateValues("exp_avg", "w"), v = opt.stateValues("exp_avg_sq", "w");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, opt::step);
            assertEquals("Invalid learning rate from the schedule: -1.0 for group 'default' at step 3 (must be finite and >= 0); nothing was changed", e.getMessage());
            assertArrayEquals(p, a.values("w"));
            assertArrayEquals(m, opt.stateValues("exp_avg", "w"));
            assertArrayEquals(v, opt.stateValues("exp_avg_sq", "w"));
            assertEquals(2, opt.stepCount());
        }
    }
}
