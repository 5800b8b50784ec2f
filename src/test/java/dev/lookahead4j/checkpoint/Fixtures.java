package dev.lookahead4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lookahead4j.Device;
import dev.lookahead4j.GroupOptions;
import dev.lookahead4j.Lookahead;
import dev.lookahead4j.NonFinitePolicy;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.Param;
import dev.lookahead4j.ParamArena;
import dev.lookahead4j.Pullback;
import dev.lookahead4j.optim.Adagrad;
import dev.lookahead4j.optim.Adam;
import dev.lookahead4j.optim.InnerOptimizer;
import dev.lookahead4j.optim.NAdam;
import dev.lookahead4j.optim.RAdam;
import dev.lookahead4j.optim.RmsProp;
import dev.lookahead4j.optim.Sgd;
import dev.lookahead4j.schedule.LearningRateSchedule;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/** Shared set-up for the checkpoint tests: configurations, deterministic data, bitwise snapshots. */
final class Fixtures {
    private Fixtures() { }

    /** Lookahead k in every test configuration. */
    static final int K = 5;

    /** Every inner rule with the options that exercise its state (names are stable: used across JVMs). */
    static final Map<String, InnerOptimizer> RULES = new LinkedHashMap<>();

    static {
        RULES.put("sgd", Sgd.builder().lr(0.05).build());
        RULES.put("sgd_momentum_dampening", Sgd.builder().lr(0.05).momentum(0.9).dampening(0.3).weightDecay(1e-3).build());
        RULES.put("sgd_nesterov", Sgd.builder().lr(0.05).momentum(0.9).nesterov(true).build());
        RULES.put("adam", Adam.builder().lr(1e-2).weightDecay(1e-3).build());
        RULES.put("adam_amsgrad", Adam.builder().lr(1e-2).amsgrad(true).build());
        RULES.put("adamw", Adam.adamWBuilder().lr(1e-2).weightDecay(0.05).build());
        RULES.put("rmsprop", RmsProp.builder().lr(1e-2).build());
        RULES.put("rmsprop_centered_momentum", RmsProp.builder().lr(1e-2).centered(true).momentum(0.8).weightDecay(1e-3).build());
        RULES.put("adagrad", Adagrad.builder().lr(0.1).lrDecay(0.01).initialAccumulatorValue(0.1).build());
        RULES.put("radam", RAdam.builder().lr(1e-2).weightDecay(1e-3).build()); // first rectified step: t = 6
        RULES.put("nadam", NAdam.builder().lr(1e-2).weightDecay(1e-3).build());
    }

    /** Lookahead variants: none, and k = 5, alpha = 0.5 with each pullback policy. */
    static final Map<String, Lookahead> LOOKAHEADS = new LinkedHashMap<>();

    static {
        LOOKAHEADS.put("plain", null);
        for (Pullback p : Pullback.values()) {
            LOOKAHEADS.put("la_" + p.name().toLowerCase(), Lookahead.builder().syncPeriod(K).slowStepSize(0.5).pullback(p).build());
        }
    }

    /** A schedule whose value depends on the step, so that a wrong position after resume shows. */
    static final LearningRateSchedule SCHEDULE = LearningRateSchedule.warmup(3, 0.25, LearningRateSchedule.cosine(40, 1e-4));

    /** Two groups; odd sizes; a parameter larger than the I/O chunk is in {@link #bigArena}. */
    static ParamArena arena(Device d) {
        return ParamArena.builder()
                .group("decay").add("fc1.weight", 257).add("fc2.weight", 33)
                .group("no_decay").add("fc1.bias", 7).add("fc2.bias", 1)
                .build(d);
    }

    static Optimizer optimizer(ParamArena arena, String rule, String lookahead) {
        return optimizer(arena, rule, lookahead, NonFinitePolicy.PROPAGATE);
    }

    static Optimizer optimizer(ParamArena arena, String rule, String lookahead, NonFinitePolicy policy) {
        InnerOptimizer inner = RULES.get(rule);
        if (inner == null) throw new IllegalArgumentException("no rule " + rule);
        if (!LOOKAHEADS.containsKey(lookahead)) throw new IllegalArgumentException("no lookahead " + lookahead);
        return Optimizer.builder(arena, inner)
                .lookahead(LOOKAHEADS.get(lookahead))
                .schedule(SCHEDULE)
                .nonFinitePolicy(policy)
                .group("no_decay", GroupOptions.builder().weightDecay(0).lr(inner.lr() * 0.5).build())
                .build();
    }

    /** Deterministic initial values (same in every JVM). */
    static void init(ParamArena arena, long seed) {
        for (Param p : arena.params()) arena.setValues(p.name(), values(seed, p.name(), 0, p.size(), 1.0f));
    }

    /** Writes the gradients of step {@code step} (1-based): a function of (seed, name, step) only. */
    static void grads(ParamArena arena, long seed, long step) {
        for (Param p : arena.params()) arena.setGrad(p.name(), values(seed, p.name(), step, p.size(), 0.5f));
    }

    static float[] values(long seed, String name, long step, int n, float scale) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + name.hashCode() * 31L + step);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble();
            a[i] = (float) ((r.nextDouble() * 2 - 1) * scale * (u < 0.03 ? 100 : u < 0.06 ? 1e-6 : 1));
            if (u > 0.97) a[i] = 0f;
        }
        return a;
    }

    /** Steps {@code from+1 .. to} with the deterministic gradients. */
    static void run(Optimizer opt, long seed, long from, long to) {
        for (long s = from + 1; s <= to; s++) {
            grads(opt.arena(), seed, s);
            opt.step();
        }
    }

    /** Everything an optimizer holds, as raw bits: params, every state buffer, counters. */
    static Map<String, Object> snapshot(Optimizer opt) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Param p : opt.arena().params()) {
            m.put("params/" + p.name(), bits(opt.arena().values(p.name())));
            m.put("grads/" + p.name(), bits(opt.arena().grad(p.name())));
            for (String s : opt.stateBuffers().keySet()) {
                float[] v = s.equals("slow") ? opt.slowValues(p.name()) : opt.stateValues(s, p.name());
                m.put(s + "/" + p.name(), bits(v));
            }
        }
        m.put("stepCount", opt.stepCount());
        m.put("skippedSteps", opt.skippedSteps());
        for (String g : List.of("decay", "no_decay")) m.put("lr/" + g, Double.doubleToRawLongBits(opt.learningRate(g)));
        return m;
    }

    /** Like {@link #snapshot} but without the gradients (which a checkpoint does not hold). */
    static Map<String, Object> stateSnapshot(Optimizer opt) {
        Map<String, Object> m = snapshot(opt);
        m.keySet().removeIf(k -> k.startsWith("grads/") || k.equals("skippedSteps"));
        return m;
    }

    static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Float.floatToRawIntBits(a[i]);
        return b;
    }

    static void assertSameState(Map<String, Object> expected, Map<String, Object> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet(), what + ": keys");
        for (String k : expected.keySet()) {
            Object e = expected.get(k), a = actual.get(k);
            if (e instanceof int[] ei) assertArrayEquals(ei, (int[]) a, what + ": " + k + " differs bitwise");
            else assertEquals(e, a, what + ": " + k);
        }
    }

    // ------------------------------------------------------------------ forking JVMs

    /** Runs {@code mainClass} in a new JVM with the test classpath; returns the process (started). */
    static Process fork(Class<?> mainClass, List<String> args, Path log) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (log != null) pb.redirectOutput(log.toFile());
        else pb.redirectOutput(new File("/dev/null"));
        return pb.start();
    }

    /** Runs {@code mainClass} to completion (at most {@code seconds}) and fails with its output if it fails. */
    static void runJvm(Class<?> mainClass, List<String> args, Path log, long seconds) throws Exception {
        Process p = fork(mainClass, args, log);
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(mainClass.getSimpleName() + " timed out after " + seconds + " s:\n" + java.nio.file.Files.readString(log));
        }
        if (p.exitValue() != 0) {
            throw new AssertionError(mainClass.getSimpleName() + " exited with " + p.exitValue() + ":\n" + java.nio.file.Files.readString(log));
        }
    }
}
