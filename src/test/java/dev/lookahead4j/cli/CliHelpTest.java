package dev.lookahead4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every command answers --help with exit code 0; bad bench options exit 2. */
class CliHelpTest {
    @ParameterizedTest
    @ValueSource(strings = {"replay", "bench", "train", "info"})
    void helpExitsZero(String command) {
        assertEquals(0, Main.execute(command, "--help"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"--params=0", "--rule=lion", "--lookahead-k=-1", "--tensors=0", "--device=tpu"})
    void badBenchOptionsExitTwo(String option) {
        assertEquals(2, Main.execute("bench", option, "--steps=1", "--warmup=0", "--repeat=1"));
    }
}
