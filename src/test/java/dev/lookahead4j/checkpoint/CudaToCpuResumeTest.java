package dev.lookahead4j.checkpoint;

import dev.lookahead4j.Device;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.ParamArena;
import dev.lookahead4j.cuda.CudaTests;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a GPU, and on cuda-emu in CI (skipped cleanly without either; the CPU-to-CPU resume is {@link ResumeTest}):
 * N/2 steps on CUDA, save, load on the CPU, N/2 more steps there equals N straight steps on the CPU, bit for
 * bit, for every rule and every Lookahead variant, saving one before, at and one after a sync step.
 */
class CudaToCpuResumeTest {
    @TempDir Path tmp;

    @Test
    void checkpointWrittenOnCudaContinuesOnTheCpu() throws Exception {
        Device gpu = CudaTests.openOrSkip();
        long seed = 17, total = 12;
        try (gpu; Device cpu = Device.cpu(2)) {
            for (String rule : Fixtures.RULES.keySet()) {
                for (String la : Fixtures.LOOKAHEADS.keySet()) {
                    for (long saveAt : new long[] {Fixtures.K - 1, Fixtures.K, Fixtures.K + 1}) {
                        String what = rule + "/" + la + "/save at " + saveAt;
                        Path file = tmp.resolve(rule + "-" + la + "-" + saveAt + ".safetensors");
                        try (ParamArena a = Fixtures.arena(gpu); Optimizer o = Fixtures.optimizer(a, rule, la)) {
                            Fixtures.init(a, seed);
                            Fixtures.run(o, seed, 0, saveAt);
                            o.save(file);
                        }
                        try (ParamArena straight = Fixtures.arena(cpu); Optimizer s = Fixtures.optimizer(straight, rule, la);
                             ParamArena resumed = Fixtures.arena(cpu); Optimizer r = Fixtures.optimizer(resumed, rule, la)) {
                            Fixtures.init(straight, seed);
                            Fixtures.run(s, seed, 0, total);
                            r.load(file);
                            Fixtures.run(r, seed, saveAt, total);
                            Fixtures.assertSameState(Fixtures.stateSnapshot(s), Fixtures.stateSnapshot(r), what);
                        }
                    }
                }
            }
        }
    }
}
