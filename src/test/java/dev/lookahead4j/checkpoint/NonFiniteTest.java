package dev.lookahead4j.checkpoint;

import static dev.lookahead4j.checkpoint.Fixtures.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.Device;
import dev.lookahead4j.NonFiniteGradientException;
import dev.lookahead4j.NonFinitePolicy;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.Param;
import dev.lookahead4j.ParamArena;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SKIP_STEP: a NaN, +Inf or -Inf in one element of one parameter changes nothing (parameters, every state
 * buffer, slow weights, step count, hence the Lookahead cycle and the schedule position), and the run then
 * continues exactly like a run that never saw the bad batch, syncs included. THROW names the parameter.
 */
class NonFiniteTest {
    static Device device;

    @BeforeAll static void open() { device = Device.cpu(2); }
    @AfterAll static void close() { device.close(); }

    static final float[] BAD = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        String[][] configs = {{"adam", "la_pullback"}, {"sgd_momentum_dampening", "la_reset"}, {"nadam", "la_none"}, {"adagrad", "plain"}};
        String[][] where = {{"fc2.weight", "0"}, {"fc1.weight", "256"}, {"fc2.bias", "0"}};
        int i = 0;
        for (String[] c : configs) {
            for (float bad : BAD) {
                // badStep: the step count the bad batch arrives at; K-1 means the skipped step would have synced
                String[] w = where[i++ % where.length];
                out.add(Arguments.of(c[0], c[1], bad, w[0], Integer.parseInt(w[1]), (i % 2 == 0) ? K - 1 : 2));
            }
        }
        return out.stream();
    }

    static void poison(ParamArena a, String name, int index, float bad) {
        float[] g = a.grad(name);
        g[index] = bad;
        a.setGrad(name, g);
    }

    @ParameterizedTest(name = "{0} {1}: {2} in {3}[{4}] after step {5}")
    @MethodSource("cases")
    void skipStepChangesNothingAndKeepsTheCycle(String rule, String la, float bad, String param, int index, int before) {
        long seed = 5;
        int n = 2 * K + 2;
        List<Map<String, Object>> reference = new ArrayList<>();
        try (ParamArena a = arena(device); Optimizer o = optimizer(a, rule, la, NonFinitePolicy.SKIP_STEP)) {
            init(a, seed);
            for (int s = 1; s <= n; s++) {
                run(o, seed, s - 1, s);
                reference.add(stateSnapshot(o));
            }
        }
        try (ParamArena a = arena(device); Optimizer o = optimizer(a, rule, la, NonFinitePolicy.SKIP_STEP)) {
            init(a, seed);
            run(o, seed, 0, before);
            grads(a, 999, before + 1);
            poison(a, param, index, bad);
            Map<String, Object> pre = snapshot(o);
            assertFalse(o.step(), "a step with " + bad + " must be skipped");
            Map<String, Object> post = snapshot(o);
            assertEquals(1L, post.get("skippedSteps"));
            post.put("skippedSteps", 0L);
            assertSameState(pre, post, "after the skipped step");
            // then exactly the uninterrupted trajectory, syncs at the same step counts
            for (int s = before + 1; s <= n; s++) {
                grads(a, seed, s);
                assertTrue(o.step());
                assertSameState(reference.get(s - 1), stateSnapshot(o), "step " + s + " after the skipped one");
                if (o.lookahead().isPresent()) {
                    boolean synced = s % K == 0;
                    for (Param p : a.params()) {
                        if (synced) assertArrayEquals(bits(a.values(p.name())), bits(o.slowValues(p.name())), "sync at step " + s);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "THROW names the parameter: {0} {1} {2} in {3}[{4}]")
    @MethodSource("cases")
    void throwNamesTheParameter(String rule, String la, float bad, String param, int index, int before) {
        try (ParamArena a = arena(device); Optimizer o = optimizer(a, rule, la, NonFinitePolicy.THROW)) {
            init(a, 1);
            run(o, 1, 0, before);
            grads(a, 1, before + 1);
            poison(a, param, index, bad);
            Map<String, Object> pre = snapshot(o);
            NonFiniteGradientException e = assertThrows(NonFiniteGradientException.class, o::step);
            assertEquals(param, e.parameter());
            assertEquals(before + 1, e.step());
            assertTrue(e.getMessage().contains("'" + param + "'") && e.getMessage().contains("element " + index), e.getMessage());
            assertSameState(pre, snapshot(o), "after THROW");
        }
    }
}
