package dev.lookahead4j.checkpoint;

import dev.lookahead4j.Device;
import dev.lookahead4j.Lookahead;
import dev.lookahead4j.NonFinitePolicy;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.ParamArena;
import dev.lookahead4j.Pullback;
import dev.lookahead4j.optim.Adam;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Measures (not a test; figures for docs/CHECKPOINTS.md): the cost of the non-finite gradient check per
 * step on the CPU, and save/load speed. {@code java -cp target/classes:target/test-classes
 * dev.lookahead4j.checkpoint.CheckpointFigures [elements] [threads] [dir]}.
 */
public final class CheckpointFigures {
    private CheckpointFigures() { }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000_000;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        Path dir = args.length > 2 ? Path.of(args[2]) : Path.of(System.getProperty("java.io.tmpdir"));
        try (Device d = Device.cpu(threads); ParamArena a = ParamArena.builder().add("w", n).build(d)) {
            float[] g = Fixtures.values(1, "w", 1, n, 0.5f);
            a.setGrad("w", g);
            System.out.printf("arena %,d elements, %s%n", n, d.describe());
            for (NonFinitePolicy p : NonFinitePolicy.values()) {
                try (Optimizer o = Optimizer.builder(a, Adam.builder().build()).nonFinitePolicy(p).build()) {
                    double[] ms = new double[40];
                    for (int i = 0; i < 10; i++) o.step(); // warm-up
                    for (int i = 0; i < ms.length; i++) {
                        long t0 = System.nanoTime();
                        o.step();
                        ms[i] = (System.nanoTime() - t0) / 1e6;
                    }
                    Arrays.sort(ms);
                    System.out.printf("Adam step, %-10s median %.2f ms (min %.2f)%n", p, ms[ms.length / 2], ms[0]);
                }
            }
            try (Optimizer o = Optimizer.builder(a, Adam.builder().build())
                    .lookahead(Lookahead.builder().pullback(Pullback.PULLBACK).build()).build()) {
                o.step();
                Path f = dir.resolve("figures.safetensors");
                for (int rep = 0; rep < 3; rep++) {
                    long t0 = System.nanoTime();
                    o.save(f);
                    long t1 = System.nanoTime();
                    o.load(f);
                    long t2 = System.nanoTime();
                    double mb = Files.size(f) / 1e6;
                    System.out.printf("save %.0f MB: %.0f ms (%.0f MB/s), load: %.0f ms (%.0f MB/s)%n", mb, (t1 - t0) / 1e6,
                            mb / ((t1 - t0) / 1e9), (t2 - t1) / 1e6, mb / ((t2 - t1) / 1e9));
                }
                Files.delete(f);
            }
        }
    }
}
