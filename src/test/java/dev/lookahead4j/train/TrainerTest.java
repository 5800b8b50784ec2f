package dev.lookahead4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.Lookahead;
import dev.lookahead4j.optim.Adam;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainerTest {
    static final Dataset.Split DATA = SyntheticData.generate(5, 600, 200);

    static List<EpochStats> train(long seed, int threads, RunSpec spec) {
        return Trainer.run(DATA, new Trainer.Config(new int[] {32}, 64, 2, seed, threads), spec, null).epochs();
    }

    static void assertSameFigures(List<EpochStats> a, List<EpochStats> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).trainLoss(), b.get(i).trainLoss(), 0.0, "train loss, epoch " + (i + 1));
            assertEquals(a.get(i).testLoss(), b.get(i).testLoss(), 0.0, "test loss, epoch " + (i + 1));
            assertEquals(a.get(i).testAccuracy(), b.get(i).testAccuracy(), 0.0, "accuracy, epoch " + (i + 1));
        }
    }

    @Test
    void sameSeedSameLossesAnyThreadCount() {
        RunSpec la = RunSpec.lookahead(Adam.builder().build(), Lookahead.builder().build());
        List<EpochStats> first = train(42, 2, la);
        assertSameFigures(first, train(42, 2, la));
        assertSameFigures(first, train(42, 1, la));
        assertSameFigures(first, train(42, 3, la));
        assertNotEquals(first.get(0).trainLoss(), train(43, 2, la).get(0).trainLoss(), "another seed, other losses");
        assertTrue(first.get(1).trainLoss() < first.get(0).trainLoss(), "it learns");
    }

    @Test
    void lookaheadIsEvaluatedOnSlowWeightsAndDiffersFromThePlainRun() {
        RunResult plain = Trainer.run(DATA, new Trainer.Config(new int[] {32}, 64, 1, 1, 2), RunSpec.plain(Adam.builder().build()), null);
        RunResult la = Trainer.run(DATA, new Trainer.Config(new int[] {32}, 64, 1, 1, 2),
                RunSpec.lookahead(Adam.builder().build(), Lookahead.builder().build()), null);
        assertEquals("weights", plain.evaluatedOn());
        assertEquals("slow weights", la.evaluatedOn());
        assertNotEquals(plain.last().testLoss(), la.last().testLoss());
        assertEquals(10, plain.curveEpoch().length); // 600/64 -> 10 steps, window 1
        assertEquals(1.0, plain.curveEpoch()[9], 1e-12);
    }

    @Test
    void shuffleIsAPermutationFixedBySeedAndEpoch() {
        int[] a = new int[100], b = new int[100];
        Trainer.shuffle(a, 3, 1);
        Trainer.shuffle(b, 3, 1);
        assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
        Trainer.shuffle(b, 3, 2);
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
        assertEquals(4950, java.util.Arrays.stream(b).sum());
        assertEquals(100, java.util.Arrays.stream(b).distinct().count());
    }
}
