package dev.lookahead4j.checkpoint;

import static dev.lookahead4j.checkpoint.Fixtures.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lookahead4j.Device;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.Param;
import dev.lookahead4j.ParamArena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cross-JVM part of the resume guarantee: one JVM runs to step s and saves, a second (fresh) JVM loads
 * into a new optimizer and runs to N, and the result equals N straight steps in this JVM bitwise. Every
 * inner rule with Lookahead (pullback policy varied across rules), plus plain Adam and NAdam; s = k + 1.
 */
class ResumeNewJvmTest {
    static final int N = 12, SAVE_AT = K + 1;
    static final long SEED = 2024;

    @Test
    void resumeInANewJvmIsBitExact(@TempDir Path dir) throws Exception {
        List<String> configs = new ArrayList<>();
        String[] las = {"la_none", "la_reset", "la_pullback"};
        int i = 0;
        for (String rule : RULES.keySet()) configs.add(rule + ":" + las[i++ % las.length]);
        configs.add("adam:plain");
        configs.add("nadam:plain");
        configs.add("radam:la_pullback");

        List<String> save = new ArrayList<>(List.of("save", dir.toString(), "" + SEED, "" + SAVE_AT));
        save.addAll(configs);
        runJvm(CheckpointChild.class, save, dir.resolve("save.log"), 120);
        List<String> resume = new ArrayList<>(List.of("resume", dir.toString(), "" + SEED, "" + SAVE_AT, "" + N));
        resume.addAll(configs);
        runJvm(CheckpointChild.class, resume, dir.resolve("resume.log"), 120);

        try (Device device = Device.cpu(2)) {
            for (String c : configs) {
                String[] rl = c.split(":");
                try (ParamArena a = arena(device); Optimizer o = optimizer(a, rl[0], rl[1]);
                     Checkpoint ck = Checkpoint.open(dir.resolve(rl[0] + "-" + rl[1] + ".final.safetensors"))) {
                    init(a, SEED);
                    run(o, SEED, 0, N);
                    assertEquals((long) N, ck.state().get("step_count"), c);
                    for (Param p : a.params()) {
                        assertArrayEquals(bits(a.values(p.name())), bits(ck.read("params/" + p.name())), c + " params/" + p.name());
                        for (String s : o.stateBuffers().keySet()) {
                            float[] mine = s.equals("slow") ? o.slowValues(p.name()) : o.stateValues(s, p.name());
                            assertArrayEquals(bits(mine), bits(ck.read(s + "/" + p.name())), c + " " + s + "/" + p.name());
                        }
                    }
                    assertEquals(ck.tensors().size(), a.params().size() * (1 + o.stateBuffers().size()), c);
                }
            }
        }
    }
}
