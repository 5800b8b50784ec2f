package dev.lookahead4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.optim.Adam;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The real Fashion-MNIST files, where installed (apt-get install dataset-fashion-mnist); skipped elsewhere. */
class FashionMnistRealTest {
    @Test
    void loadsTheInstalledFilesAndLearnsFromThem() throws Exception {
        Assumptions.assumeTrue(FashionMnist.present(FashionMnist.DEFAULT_DIR), "Fashion-MNIST not installed in " + FashionMnist.DEFAULT_DIR);
        Dataset.Split s = FashionMnist.load(FashionMnist.DEFAULT_DIR);
        assertEquals(60_000, s.train().count());
        assertEquals(10_000, s.test().count());
        assertEquals(28, s.train().rows());
        int[] perClass = new int[10];
        for (byte b : s.train().labels()) perClass[b]++;
        for (int c = 0; c < 10; c++) assertEquals(6_000, perClass[c], "training images of class " + FashionMnist.CLASSES.get(c));
        // a short run on the first 4,000 images gets well past chance (10%)
        Dataset.Split small = new Dataset.Split(head(s.train(), 4000), head(s.test(), 1000), false);
        RunResult r = Trainer.run(small, new Trainer.Config(new int[] {64}, 64, 1, 1, 2), RunSpec.plain(Adam.builder().build()), null);
        assertTrue(r.last().testAccuracy() > 0.65, "accuracy after one small epoch: " + r.last().testAccuracy());
    }

    static Dataset head(Dataset d, int n) {
        return new Dataset(d.name(), java.util.Arrays.copyOf(d.images(), n * d.pixels()), java.util.Arrays.copyOf(d.labels(), n), n,
                d.rows(), d.cols(), d.classes());
    }
}
