package dev.lookahead4j.checkpoint;

import static dev.lookahead4j.checkpoint.Fixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lookahead4j.Device;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.ParamArena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * N steps straight == s steps, save, load into a fresh optimizer over a fresh arena, N-s more steps,
 * bitwise, for every inner rule x {plain, Lookahead with each pullback policy} x s in {0, k-1, k, k+1}
 * (before the first step, one step before a sync, at a sync, one step after). RAdam's first rectified
 * step is t = 6, so resuming after step 5 crosses the switch. The new-JVM variant is {@link ResumeNewJvmTest}.
 */
class ResumeTest {
    static final int N = 12;
    static Device device;
    @TempDir static Path dir;

    @BeforeAll static void open() { device = Device.cpu(2); }
    @AfterAll static void close() { device.close(); }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String rule : RULES.keySet()) {
            for (String la : LOOKAHEADS.keySet()) {
                for (int s : new int[] {0, K - 1, K, K + 1}) out.add(Arguments.of(rule, la, s));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} save after step {2}")
    @MethodSource("cases")
    void resumeIsBitExact(String rule, String la, int saveAt) throws Exception {
        long seed = 42;
        Map<String, Object> straight;
        try (ParamArena a = arena(device); Optimizer o = optimizer(a, rule, la)) {
            init(a, seed);
            run(o, seed, 0, N);
            straight = stateSnapshot(o);
        }
        Path file = dir.resolve(rule + "-" + la + "-" + saveAt + ".safetensors");
        Map<String, Object> atSave;
        try (ParamArena a = arena(device); Optimizer o = optimizer(a, rule, la)) {
            init(a, seed);
            run(o, seed, 0, saveAt);
            atSave = stateSnapshot(o);
            o.save(file);
        }
        try (ParamArena a = arena(device); Optimizer o = optimizer(a, rule, la)) {
            init(a, seed + 1); // different values: the load must replace them all
            a.setGrad("fc1.bias", new float[7]);
            o.load(file);
            assertSameState(atSave, stateSnapshot(o), "right after load");
            assertEquals(saveAt, o.stepCount());
            run(o, seed, saveAt, N);
            assertSameState(straight, stateSnapshot(o), "after resuming");
        }
    }
}
