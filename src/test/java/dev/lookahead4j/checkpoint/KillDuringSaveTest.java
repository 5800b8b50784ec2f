package dev.lookahead4j.checkpoint;

import static dev.lookahead4j.checkpoint.Fixtures.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.Device;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.ParamArena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 in the middle of a save loop, many times: the file under the final name is always either
 * absent (before the first save finished) or a complete checkpoint that loads, validates and equals,
 * bitwise, the state an uninterrupted run has at the step it records. Each child continues from the file.
 */
class KillDuringSaveTest {
    static final int KILLS = 24;
    static final long SEED = 77;

    @Test
    void killNineNeverLeavesABrokenCheckpoint(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run.safetensors");
        Random r = new Random(3);
        int absent = 0;
        long lastStep = 0;
        try (Device device = Device.cpu(1); ParamArena ra = CheckpointChild.loopArena(device);
             Optimizer reference = optimizer(ra, CheckpointChild.LOOP_RULE, CheckpointChild.LOOP_LA)) {
            init(ra, SEED);
            for (int kill = 0; kill < KILLS; kill++) {
                Process p = fork(CheckpointChild.class, List.of("loop", file.toString(), "" + SEED), null);
                // a random moment: before the first save ends (JVM start-up) or anywhere in the loop
                Thread.sleep(200 + r.nextInt(1300));
                p.destroyForcibly(); // SIGKILL
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child did not die");

                if (!Files.exists(file)) {
                    absent++;
                    continue;
                }
                try (ParamArena a = CheckpointChild.loopArena(device);
                     Optimizer o = optimizer(a, CheckpointChild.LOOP_RULE, CheckpointChild.LOOP_LA)) {
                    try (Checkpoint c = Checkpoint.open(file)) {
                        c.verify();
                    }
                    o.load(file);
                    long step = o.stepCount();
                    assertTrue(step >= lastStep, "went back from step " + lastStep + " to " + step);
                    lastStep = step;
                    run(reference, SEED, reference.stepCount(), step);
                    Map<String, Object> expected = stateSnapshot(reference);
                    assertSameState(expected, stateSnapshot(o), "checkpoint of step " + step + " after kill " + kill);
                }
            }
        }
        // the leftovers of killed saves are temporary files, never the final name
        int tmpLeft = 0;
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                if (f.equals(file)) continue;
                assertTrue(f.getFileName().toString().matches("\\.run\\.safetensors\\..*\\.tmp"), "unexpected file " + f);
                tmpLeft++;
            }
        }
        assertTrue(lastStep > 0, "the children never completed a save");
        assertTrue(absent < KILLS / 2, "too few kills hit a running save loop: " + absent);
        System.out.println("kill test: " + KILLS + " kills, final name absent " + absent + " times, last step " + lastStep
                + ", temporary files left by killed saves: " + tmpLeft);
    }
}
