package dev.lookahead4j.cli;

import dev.lookahead4j.Device;
import dev.lookahead4j.Lookahead;
import dev.lookahead4j.NonFinitePolicy;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.ParamArena;
import dev.lookahead4j.Pullback;
import dev.lookahead4j.backend.Buffer;
import dev.lookahead4j.cpu.CpuBackend;
import dev.lookahead4j.optim.InnerOptimizer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Step throughput: parameters per second and effective bandwidth, counting the bytes each rule reads and
 * writes per parameter (Lookahead's slow weights and pullback cache amortised over k steps). On the CPU it
 * also runs, in the same process and with the same threads, a bare Java pass that moves Adam's bytes
 * (reads p, g, m, v; writes p, m, v) with trivial arithmetic; on an asynchronous device it measures a
 * device-to-device copy and the host time per {@code step()} call.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure optimizer step throughput (params/s, effective GB/s) against a memory-bound baseline.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--rule", defaultValue = "adam", description = "Inner rule: sgd, sgd-momentum, adam, adamw, amsgrad, rmsprop, adagrad, radam, nadam (default: ${DEFAULT-VALUE}).")
    String rule;

    @Option(names = {"--lookahead-k", "-k"}, defaultValue = "5", description = "Lookahead sync period k; 0 = no Lookahead (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--pullback", defaultValue = "NONE", description = "NONE, RESET or PULLBACK (default: ${DEFAULT-VALUE}).")
    Pullback pullback;

    @Option(names = "--params", defaultValue = "64M", description = "Parameters in the arena, e.g. 1M, 64M, 256M (default: ${DEFAULT-VALUE}).")
    String params;

    @Option(names = "--tensors", defaultValue = "1", description = "Split the parameters into this many equal tensors (default: ${DEFAULT-VALUE}).")
    int tensors;

    @Option(names = "--steps", defaultValue = "20", description = "Timed steps (a multiple of k is fairest) (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "10", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--repeat", defaultValue = "3", description = "Timed rounds; the best is reported (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda, cuda:N or auto (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--threads", description = "CPU worker threads (default: available processors).")
    Integer threads;

    @Option(names = "--non-finite", defaultValue = "PROPAGATE", description = "Non-finite gradient policy: PROPAGATE, SKIP_STEP or THROW (the latter two check the gradients every step) (default: ${DEFAULT-VALUE}).")
    NonFinitePolicy nonFinite;

    @Option(names = "--no-baseline", description = "Skip the bare-pass / copy baseline.")
    boolean noBaseline;

    static long parseCount(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        long mul = 1;
        if (t.endsWith("K")) { mul = 1L << 10; t = t.substring(0, t.length() - 1); }
        else if (t.endsWith("M")) { mul = 1L << 20; t = t.substring(0, t.length() - 1); }
        else if (t.endsWith("G")) { mul = 1L << 30; t = t.substring(0, t.length() - 1); }
        try {
            long v = Long.parseLong(t) * mul;
            if (v < 1) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Invalid --params: '" + s + "' (a positive count such as 1000000, 1M or 64M)");
        }
    }

    static InnerOptimizer ruleFor(String name) {
        return switch (name) {
            case "sgd" -> InnerOptimizer.fromMap(Map.of("type", "sgd", "lr", 0.01));
            case "sgd-momentum" -> InnerOptimizer.fromMap(Map.of("type", "sgd", "lr", 0.01, "momentum", 0.9));
            case "adam", "adamw", "radam", "nadam", "rmsprop", "adagrad" -> InnerOptimizer.fromMap(Map.of("type", name));
            case "amsgrad" -> InnerOptimizer.fromMap(Map.of("type", "adam", "amsgrad", true));
            default -> throw new IllegalArgumentException("Invalid --rule: '" + name
                    + "' (sgd, sgd-momentum, adam, adamw, amsgrad, rmsprop, adagrad, radam, nadam)");
        };
    }

    /** Bytes read + written per parameter per step, sync traffic amortised over k. */
    static double bytesPerParam(InnerOptimizer inner, int k, Pullback pullback) {
        int states = 0;
        for (String s : inner.stateNames()) if (s != null) states++;
        double b = 4.0 * (3 + 2 * states); // read p, g, states; write p, states
        if (k > 0) {
            b += 8.0 / k; // slow weights: read + write on sync steps
            if (pullback == Pullback.PULLBACK && inner.hasFirstMoment()) b += 8.0 / k;
        }
        return b;
    }

    @Override
    public Integer call() {
        long n = parseCount(params);
        if (k < 0) throw new IllegalArgumentException("Invalid --lookahead-k: " + k + " (0 for none, or >= 1)");
        if (steps < 1 || warmup < 0 || repeat < 1) throw new IllegalArgumentException("Invalid --steps/--warmup/--repeat (steps >= 1, warmup >= 0, repeat >= 1)");
        if (tensors < 1 || tensors > n) throw new IllegalArgumentException("Invalid --tensors: " + tensors + " (1 to the parameter count)");
        InnerOptimizer inner = ruleFor(rule);
        Lookahead la = k == 0 ? null : Lookahead.builder().syncPeriod(k).slowStepSize(0.5).pullback(pullback).build();
        double bpp = bytesPerParam(inner, k, pullback);
        try (Device d = DeviceOption.open(device, threads)) {
            ParamArena.Builder ab = ParamArena.builder();
            long per = n / tensors;
            for (int t = 0; t < tensors; t++) ab.add("t" + t, (int) (t == tensors - 1 ? n - per * (tensors - 1) : per));
            try (ParamArena arena = ab.build(d)) {
                fill(arena);
                System.out.printf(Locale.ROOT, "device   %s%nrule     %s%s, %d parameters in %d tensor(s), %.2f bytes/param/step%n",
                        d.describe(), inner.typeName(), la == null ? "" : " + Lookahead(k=" + k + ", alpha=0.5, " + pullback + ")",
                        arena.parameterCount(), tensors, bpp);
                double best = Double.MAX_VALUE, baseBest = Double.MAX_VALUE;
                try (Optimizer opt = Optimizer.builder(arena, inner).lookahead(la).nonFinitePolicy(nonFinite).build();
                     Baseline base = noBaseline ? null : new Baseline(d, arena.length())) {
                    for (int i = 0; i < warmup; i++) {
                        opt.step();
                        if (base != null) base.run();
                    }
                    d.synchronize();
                    // rounds alternate between the step and the baseline so both see the same machine load
                    for (int r = 0; r < repeat; r++) {
                        long t0 = System.nanoTime();
                        for (int i = 0; i < steps; i++) opt.step();
                        d.synchronize();
                        double sec = (System.nanoTime() - t0) / 1e9 / steps;
                        best = Math.min(best, sec);
                        if (base != null) {
                            long b0 = System.nanoTime();
                            for (int i = 0; i < steps; i++) base.run();
                            d.synchronize();
                            baseBest = Math.min(baseBest, (System.nanoTime() - b0) / 1e9 / steps);
                        }
                    }
                }
                double paramsPerSec = arena.parameterCount() / best;
                double gbs = paramsPerSec * bpp / 1e9;
                System.out.printf(Locale.ROOT, "step     %10.3f ms/step  %8.3f G params/s  %8.2f GB/s effective%n", best * 1e3, paramsPerSec / 1e9, gbs);
                if (d.backend().asynchronous()) {
                    System.out.printf(Locale.ROOT, "host     %10.2f us per step() call (%s; JIT warmed up: best of %d x %d steps"
                            + " after %d, on a %d-parameter arena of the same rule)%n",
                            hostMicrosPerStep(d, inner, la, nonFinite),
                            nonFinite == NonFinitePolicy.PROPAGATE ? "enqueue only" : "with the gradient check's wait for the device",
                            HOST_ROUNDS, HOST_STEPS, HOST_WARMUP, HOST_PARAMS);
                }
                if (!noBaseline) report(d, arena.length(), best, gbs, baseBest);
            }
        }
        return 0;
    }

    static final int HOST_PARAMS = 4096, HOST_WARMUP = 10_000, HOST_ROUNDS = 5, HOST_STEPS = 2_000;

    /**
     * The host time of one {@code step()} on an asynchronous device, with the JIT warmed up (the timed
     * rounds above run too few steps for that on a large arena): a small arena of the same rule and
     * Lookahead, {@link #HOST_WARMUP} steps, then the best of {@link #HOST_ROUNDS} rounds of
     * {@link #HOST_STEPS}, the device synchronised between rounds so the launch queue never fills. The
     * host work of a step does not depend on the arena's size (one launch for up to 32 groups).
     */
    static double hostMicrosPerStep(Device d, InnerOptimizer inner, Lookahead la, NonFinitePolicy policy) {
        try (ParamArena a = ParamArena.builder().add("w", HOST_PARAMS).build(d);
             Optimizer o = Optimizer.builder(a, inner).lookahead(la).nonFinitePolicy(policy).build()) {
            for (int i = 0; i < HOST_WARMUP; i++) {
                o.step();
                if (i % 500 == 499) d.synchronize();
            }
            d.synchronize();
            double best = Double.MAX_VALUE;
            for (int r = 0; r < HOST_ROUNDS; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < HOST_STEPS; i++) o.step();
                best = Math.min(best, (System.nanoTime() - t0) / 1e3 / HOST_STEPS);
                d.synchronize();
            }
            return best;
        }
    }

    /** The reference pass: a bare Java pass over p, g, m, v on the CPU; a device-to-device copy elsewhere. */
    private static final class Baseline implements AutoCloseable {
        private final Device d;
        private final float[] p, g, m, v;
        private final Buffer a, b;

        Baseline(Device d, long len) {
            this.d = d;
            if (d.backend() instanceof CpuBackend) {
                int n = Math.toIntExact(len);
                p = new float[n];
                g = new float[n];
                m = new float[n];
                v = new float[n];
                Arrays.fill(g, 1e-3f);
                a = null;
                b = null;
            } else {
                p = g = m = v = null;
                a = d.backend().allocate("bench-copy-src", len);
                b = d.backend().allocate("bench-copy-dst", len);
            }
        }

        void run() {
            if (a == null) ((CpuBackend) d.backend()).bareAdamLikePass(p, g, m, v);
            else b.copyFrom(a);
        }

        @Override
        public void close() {
            if (a != null) a.close();
            if (b != null) b.close();
        }
    }

    private static void report(Device d, long len, double stepSec, double stepGbs, double baseSec) {
        if (d.backend() instanceof CpuBackend cpu) {
            double gbs = len * 28.0 / baseSec / 1e9;
            System.out.printf(Locale.ROOT, "baseline %10.3f ms/pass  (bare Java pass: read p,g,m,v write p,m,v, %d threads)  %8.2f GB/s%n",
                    baseSec * 1e3, cpu.threads(), gbs);
            System.out.printf(Locale.ROOT, "ratio    step rate / bare-pass rate = %.3f   (effective GB/s ratio %.3f)%n",
                    baseSec / stepSec, stepGbs / gbs);
        } else {
            double gbs = len * 8.0 / baseSec / 1e9;
            System.out.printf(Locale.ROOT, "copy     %10.3f ms/copy  device-to-device copy of %d floats  %8.2f GB/s (read+write)%n", baseSec * 1e3, len, gbs);
            System.out.printf(Locale.ROOT, "ratio    optimizer effective bandwidth / copy bandwidth = %.3f%n", stepGbs / gbs);
        }
    }

    private static void fill(ParamArena arena) {
        SplittableRandom rnd = new SplittableRandom(42);
        for (var p : arena.params()) {
            float[] v = new float[p.size()];
            float[] g = new float[p.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (rnd.nextDouble() - 0.5);
                g[i] = (float) ((rnd.nextDouble() - 0.5) * 1e-2);
            }
            arena.setValues(p.name(), v);
            arena.setGrad(p.name(), g);
        }
    }
}
