package dev.lookahead4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.Device;
import dev.lookahead4j.replay.ReferenceCase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every reference case (PyTorch 1.13 golden trajectories) replays on CUDA bit for bit. GPU only. */
class CudaReferenceCasesTest {
    static Device cuda;

    @BeforeAll static void open() { cuda = CudaTests.openOrSkip(); }
    @AfterAll static void close() { if (cuda != null) cuda.close(); }

    static Stream<Path> cases() throws Exception {
        Path dir = Path.of(CudaReferenceCasesTest.class.getResource("/reference/p01_sgd.json").toURI()).getParent();
        return Files.list(dir).filter(p -> p.toString().endsWith(".json")).sorted();
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
