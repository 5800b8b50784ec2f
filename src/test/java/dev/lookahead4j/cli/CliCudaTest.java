package dev.lookahead4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.cuda.CudaTests;
import dev.lookahead4j.train.CublasProbe;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code replay --device cuda} writes the golden trajectories; {@code train --device cuda} trains on the
 * device; {@code bench --device cuda} prints the step, the host time per step() call, the
 * device-to-device copy and the ratio. On a GPU, and on
 * cuda-emu in CI (where the figures mean nothing, but every line must be there and well formed).
 */
class CliCudaTest {
    @TempDir Path tmp;

    static String run(int expectedExit, String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(out);
            assertEquals(expectedExit, Main.execute(args), String.join(" ", args));
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void replayOnCudaWritesTheGoldenTrajectories() throws Exception {
        CudaTests.openOrSkip().close();
        Path out = tmp.resolve("out");
        String[] names = {"p06_adam_la5", "p10_rmsprop_la5", "p12_adam_la5_alpha1"};
        String[] args = new String[names.length + 4];
        args[0] = "replay";
        for (int i = 0; i < names.length; i++) args[i + 1] = ReplayCommandTest.golden(names[i] + ".json").toString();
        args[names.length + 1] = "--out";
        args[names.length + 2] = out.toString();
        args[names.length + 3] = "--device=cuda";
        run(0, args);
        for (String n : names) ReplayCommandTest.assertResultHoldsTheGolden(out, n);
    }

    @Test
    void trainOnCudaRunsTheModelOnTheDevice() {
        CudaTests.openOrSkip().close();
        Assumptions.assumeTrue(CudaTests.onEmulator() || CublasProbe.unavailableReason().isEmpty(),
                "JCublas unusable here: the CPU fallback is TrainCommandTest's");
        // without AWT (gpu-pack's runtime) train ends with "cannot draw ... png", exit 1, after the tables
        boolean awt = ModuleLayer.boot().findModule("java.desktop").isPresent();
        String out = run(awt ? 0 : 1, "train", "--embedded", "--device", "cuda", "--epochs", "2", "--hidden", "32", "--train-samples", "256",
                "--test-samples", "64", "--progress", "off", "--out", tmp.resolve("train").toString());
        assertTrue(out.lines().anyMatch(l -> l.startsWith("data: ") && l.contains(", device cuda:0 ")), out);
        assertTrue(out.lines().noneMatch(l -> l.startsWith("note: --device")), out);
        assertTrue(out.lines().filter(l -> l.matches("(adam|lookahead)\\(.* +2 .*")).count() == 2, out);
    }

    @Test
    void benchOnCudaPrintsStepHostTimeCopyAndRatio() {
        CudaTests.openOrSkip().close();
        String out = run(0, "bench", "--device=cuda", "--params=200K", "--tensors=7", "--steps=3", "--warmup=1", "--repeat=1");
        assertTrue(out.contains("device   cuda:0 "), out);
        assertTrue(out.contains("200704 parameters in 7 tensor(s)") || out.contains("204800 parameters in 7 tensor(s)"), out);
        for (String line : new String[] {"step  +[0-9.]+ ms/step +[0-9.]+ G params/s +[0-9.]+ GB/s effective",
                                         "host  +[0-9.]+ us per step\\(\\) call \\(enqueue only; JIT warmed up: best of 5 x 2000 steps after 10000, on a 4096-parameter arena of the same rule\\)",
                                         "copy  +[0-9.]+ ms/copy  device-to-device copy of \\d+ floats +[0-9.]+ GB/s \\(read\\+write\\)",
                                         "ratio +optimizer effective bandwidth / copy bandwidth = [0-9.]+"}) {
            Matcher m = Pattern.compile("(?m)^" + line + "$").matcher(out);
            assertTrue(m.find(), "no line matching " + line + " in:\n" + out);
        }
    }
}
