package dev.lookahead4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lookahead4j.replay.ReferenceCase;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every reference case replays on the CPU bit for bit (and so inside the tolerance), with 1 and 3 threads. */
class ReferenceCasesTest {
    static Device one, three;

    @BeforeAll static void open() { one = Device.cpu(1); three = Device.cpu(3); }
    @AfterAll static void close() { one.close(); three.close(); }

    static Stream<Path> cases() throws Exception {
        Path dir = resourceDir();
        return Files.list(dir).filter(p -> p.toString().endsWith(".json")).sorted();
    }

    static Path resourceDir() throws URISyntaxException {
        return Path.of(ReferenceCasesTest.class.getResource("/reference/p01_sgd.json").toURI()).getParent();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void replaysBitForBit(Path file) throws Exception {
        assertReplays(ReferenceCase.load(file), one, three);
    }

    /** Replays {@code c} on each device: params (and slow weights) inside the tolerance, then bit for bit. */
    static void assertReplays(ReferenceCase c, Device... devices) {
        assertNotNull(c.expectParams, c.name + " has no expectations");
        for (Device d : devices) {
            ReferenceCase.Result r = c.replay(d);
            compare(c.name, "params", c.expectParams, r.params, c);
            if (c.lookahead != null) compare(c.name, "slow", c.expectSlow, r.slow, c);
        }
    }

    static void compare(String name, String what, Map<Integer, Map<String, float[]>> exp,
                        Map<Integer, Map<String, float[]>> got, ReferenceCase c) {
        assertEquals(exp.keySet(), got.keySet(), name + " " + what + " steps");
        for (int s : exp.keySet()) {
            for (String t : c.tensorNames) {
                float[] e = exp.get(s).get(t), g = got.get(s).get(t);
                assertEquals(e.length, g.length, name + " " + what + " step " + s + " " + t + " length");
                for (int i = 0; i < e.length; i++) {
                    // the contract first (abs 1e-6 + rel 1e-5, finite), then bit-exactness
                    if (!(Math.abs(g[i] - e[i]) <= 1e-6 + 1e-5 * Math.abs(e[i]))) {
                        fail(name + " " + what + " step " + s + " " + t + "[" + i + "]: expected " + e[i] + " got " + g[i] + " (outside tolerance)");
                    }
                    if (Float.floatToIntBits(e[i]) != Float.floatToIntBits(g[i])) {
                        fail(name + " " + what + " step " + s + " " + t + "[" + i + "]: expected " + e[i] + " got " + g[i]
                                + " (inside the tolerance but not bit-identical)");
                    }
                }
            }
        }
    }
}
