package dev.lookahead4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.Device;
import dev.lookahead4j.replay.ReferenceCase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every reference case (PyTorch golden trajectories: the 12 public ones and the extra ones) replays on
 * CUDA bit for bit. On a GPU, and on cuda-emu in CI.
 */
class CudaReferenceCasesTest {
    static Device cuda;

    @BeforeAll static void open() { cuda = CudaTests.openOrSkip(); }
    @AfterAll static void close() { if (cuda != null) cuda.close(); }

    /** The 12 public cases and the extra ones ({@code reference/extra}, every rule and option). */
    static Stream<Path> cases() throws Exception {
        Path dir = Path.of(CudaReferenceCasesTest.class.getResource("/reference/p01_sgd.json").toURI()).getParent();
        List<Path> all = new ArrayList<>();
        for (Path d : List.of(dir, dir.resolve("extra"))) {
            try (Stream<Path> s = Files.list(d)) {
                s.filter(p -> p.toString().endsWith(".json")).sorted().forEach(all::add);
            }
        }
        assertTrue(all.size() >= 12 + 60, "expected the public and the extra reference cases, found " + all.size());
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void replaysBitForBitOnCuda(Path file) throws Exception {
        ReferenceCase c = ReferenceCase.load(file);
        ReferenceCase.Result r = c.replay(cuda);
        compare(c, "params", c.expectParams, r.params);
        if (c.lookahead != null) compare(c, "slow", c.expectSlow, r.slow);
    }

    static void compare(ReferenceCase c, String what, Map<Integer, Map<String, float[]>> exp, Map<Integer, Map<String, float[]>> got) {
        assertEquals(exp.keySet(), got.keySet(), c.name + " " + what + " steps");
        assertTrue(!exp.isEmpty());
        for (int s : exp.keySet()) {
            for (String t : c.tensorNames) {
                CudaTests.assertBits(c.name + " " + what + " step " + s + " " + t, exp.get(s).get(t), got.get(s).get(t));
            }
        }
    }
}
