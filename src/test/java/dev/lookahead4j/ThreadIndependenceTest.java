package dev.lookahead4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lookahead4j.backend.Buffer;
import dev.lookahead4j.optim.Adagrad;
import dev.lookahead4j.optim.Adam;
import dev.lookahead4j.optim.InnerOptimizer;
import dev.lookahead4j.optim.NAdam;
import dev.lookahead4j.optim.RAdam;
import dev.lookahead4j.optim.RmsProp;
import dev.lookahead4j.optim.Sgd;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The result does not depend on the number of worker threads: several groups spanning many partition
 * blocks, every rule, with and without Lookahead, bit for bit (state buffers included).
 */
class ThreadIndependenceTest {
    static Stream<InnerOptimizer> rules() {
        return Stream.of(
                Sgd.builder().lr(0.01).momentum(0.9).dampening(0.1).weightDecay(1e-3).build(),
                Sgd.builder().lr(0.01).momentum(0.9).nesterov(true).maximize(true).build(),
                Adam.builder().lr(1e-3).weightDecay(1e-2).amsgrad(true).build(),
                Adam.adamWBuilder().build(),
                RmsProp.builder().momentum(0.5).centered(true).weightDecay(1e-3).build(),
                Adagrad.builder().lrDecay(1e-2).initialAccumulatorValue(0.1).build(),
                RAdam.builder().weightDecay(1e-3).build(),
                NAdam.builder().weightDecay(1e-3).build());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rules")
    void sameBitsForOneAndThreeThreads(InnerOptimizer inner) {
        for (Lookahead la : new Lookahead[] {null, new Lookahead(3, 0.5, Pullback.PULLBACK), new Lookahead(2, 0.8, Pullback.RESET)}) {
            Map<String, float[]> one = run(inner, la, 1), three = run(inner, la, 3);
            assertEquals(one.keySet(), three.keySet());
            for (String k : one.keySet()) {
                float[] a = one.get(k), b = three.get(k);
                for (int i = 0; i < a.length; i++) {
                    if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) {
                        throw new AssertionError(inner.typeName() + " " + la + " " + k + "[" + i + "]: " + a[i] + " vs " + b[i]);
                    }
                }
            }
        }
    }

    static Map<String, float[]> run(InnerOptimizer inner, Lookahead la, int threads) {
        int[] sizes = {70_001, 5, 140_000, 33};
        SplittableRandom r = new SplittableRandom(11);
        try (Device d = Device.cpu(threads);
             ParamArena a = ParamArena.builder().group("a").add("p0", sizes[0]).add("p1", sizes[1])
                     .group("b").add("p2", sizes[2]).group("c").add("p3", sizes[3]).build(d)) {
            for (int i = 0; i < sizes.length; i++) a.setValues("p" + i, random(r, sizes[i]));
            try (Optimizer opt = Optimizer.builder(a, inner).lookahead(la)
                    .group("b", GroupOptions.builder().lr(inner.lr() * 2).weightDecay(0).build()).build()) {
                for (int s = 0; s < 7; s++) {
                    for (int i = 0; i < sizes.length; i++) a.setGrad("p" + i, random(r, sizes[i]));
                    opt.step();
                }
                Map<String, float[]> out = new java.util.TreeMap<>();
                out.put("params", a.paramsArray().clone());
                for (Map.Entry<String, Buffer> e : opt.stateBuffers().entrySet()) {
                    float[] v = new float[(int) a.length()];
                    e.getValue().read(0, v, 0, v.length);
                    out.put(e.getKey(), v);
                }
                return out;
            }
        }
    }

    static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * (r.nextInt(50) == 0 ? 100 : 1));
        return v;
    }
}
