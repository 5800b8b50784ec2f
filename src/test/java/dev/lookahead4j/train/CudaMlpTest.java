package dev.lookahead4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.Device;
import dev.lookahead4j.Lookahead;
import dev.lookahead4j.cuda.CudaTests;
import dev.lookahead4j.optim.Adam;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The CUDA model against the Java model (on a GPU, and on cuda-emu with its SGEMM in CI; elsewhere it
 * skips with the reason where CUDA device 0 or JCublas is unusable). cuBLAS sums the products in another order than the Java kernels, so figures are
 * compared within tolerances, not bit for bit:
 * <ul>
 *   <li>one training step from the same initialisation and batch: the batch loss within 1e-5 relative,
 *       every gradient element within 1e-4 of the largest gradient of its parameter (a transposed or
 *       shifted matrix would be off by O(1));</li>
 *   <li>an evaluation of the initial weights: loss within 1e-5 relative;</li>
 *   <li>two epochs of Adam (lr 0.005) and of Lookahead(Adam) on 2,000 synthetic images: per epoch,
 *       training and test loss within 3% and 5% relative, accuracy within 5 points, and above 50% after
 *       the second (10 classes; the CPU reaches 72% and 62%);</li>
 *   <li>determinism: the same seed on CUDA gives the same figures to the last bit, twice.</li>
 * </ul>
 */
class CudaMlpTest {
    static final Dataset.Split DATA = SyntheticData.generate(5, 600, 200);
    static final int[] WIDTHS = {784, 48, 24, 10};

    static Device openOrSkip() {
        Device d = CudaTests.openOrSkip();
        if (CublasProbe.unavailableReason().isPresent()) {
            d.close();
            if (CudaTests.onEmulator()) throw new AssertionError("cuda-emu's libcublas.so.12 did not load: " + CublasProbe.unavailableReason().get());
            Assumptions.abort("JCublas unusable, GPU test skipped: " + CublasProbe.unavailableReason().get());
        }
        return d;
    }

    static int[] identity(int n) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) o[i] = i;
        return o;
    }

    @Test
    void oneTrainingStepGivesTheCpuModelsLossAndGradients() {
        Dataset train = DATA.train(), test = DATA.test();
        int batch = 64;
        int[] order = identity(train.count());
        Trainer.shuffle(order, 3, 1);
        try (Device gpu = openOrSkip(); Device cpu = Device.cpu(1);
             Mlp ref = new Mlp(cpu, WIDTHS, 200, 2);
             CudaMlp mlp = new CudaMlp(gpu, WIDTHS, 200, batch, train, test)) {
            ref.initialize(11);
            mlp.initialize(11);
            for (int l = 1; l < WIDTHS.length; l++) {
                assertArrayEquals(ref.arena().values(Mlp.weightName(l)), mlp.arena().values(Mlp.weightName(l)), "initial " + Mlp.weightName(l));
                assertArrayEquals(ref.arena().values(Mlp.biasName(l)), mlp.arena().values(Mlp.biasName(l)), "initial " + Mlp.biasName(l));
            }
            Mlp.Evaluation e0 = ref.evaluate(test), g0 = mlp.evaluate();
            assertEquals(e0.loss(), g0.loss(), 1e-5 * e0.loss(), "initial test loss");
            assertEquals(e0.accuracy(), g0.accuracy(), 2.0 / test.count(), "initial test accuracy (ties aside)");

            int from = batch; // the second batch of the epoch
            double expected = ref.trainStep(train, order, from, batch);
            mlp.setOrder(order);
            mlp.trainStep(from, batch, 1);
            double got = mlp.batchLosses(1, 2)[0];
            assertEquals(expected, got, 1e-5 * expected, "batch loss sum");
            for (var p : ref.arena().params()) {
                float[] a = ref.arena().grad(p.name()), b = mlp.arena().grad(p.name());
                float scale = 0;
                for (float v : a) scale = Math.max(scale, Math.abs(v));
                assertTrue(scale > 0, p.name() + ": zero gradient in the reference");
                for (int i = 0; i < a.length; i++) {
                    assertEquals(a[i], b[i], 1e-4 * scale, p.name() + "[" + i + "] of " + a.length);
                }
            }
        }
    }

    static List<EpochStats> run(Device gpu, RunSpec spec) {
        Trainer.Config cfg = new Trainer.Config(new int[] {48, 24}, 64, 2, 42, 2);
        return Trainer.run(SyntheticData.generate(5, 2000, 500), cfg, spec, null, gpu).epochs();
    }

    @Test
    void twoEpochsAgreeWithTheCpuAndRepeatBitForBit() {
        try (Device gpu = openOrSkip()) {
            for (RunSpec spec : new RunSpec[] {RunSpec.plain(Adam.builder().lr(0.005).build()),
                    RunSpec.lookahead(Adam.builder().lr(0.005).build(), Lookahead.builder().build())}) {
                List<EpochStats> a = run(gpu, spec), b = run(gpu, spec), cpu = run(null, spec);
                assertEquals(2, a.size());
                for (int e = 0; e < 2; e++) {
                    EpochStats x = a.get(e), y = b.get(e), c = cpu.get(e);
                    String what = spec.label() + ", epoch " + (e + 1);
                    assertEquals(x.trainLoss(), y.trainLoss(), 0.0, what + ": train loss, twice on CUDA");
                    assertEquals(x.testLoss(), y.testLoss(), 0.0, what + ": test loss, twice on CUDA");
                    assertEquals(x.testAccuracy(), y.testAccuracy(), 0.0, what + ": accuracy, twice on CUDA");
                    System.out.printf("%s: CUDA train %.5f test %.5f acc %.4f | CPU train %.5f test %.5f acc %.4f%n", what,
                            x.trainLoss(), x.testLoss(), x.testAccuracy(), c.trainLoss(), c.testLoss(), c.testAccuracy());
                    assertEquals(c.trainLoss(), x.trainLoss(), 0.03 * c.trainLoss(), what + ": train loss vs CPU");
                    assertEquals(c.testLoss(), x.testLoss(), 0.05 * c.testLoss(), what + ": test loss vs CPU");
                    assertEquals(c.testAccuracy(), x.testAccuracy(), 0.05, what + ": accuracy vs CPU");
                }
                assertTrue(a.get(1).testAccuracy() > 0.5, spec.label() + ": accuracy " + a.get(1).testAccuracy());
            }
        }
    }

    @Test
    void trainDeviceSelectsCudaWhenUsable() {
        try (Device probe = openOrSkip()) {
            probe.close();
            try (TrainDevice td = TrainDevice.select("cuda")) {
                assertNull(td.note(), td.note());
                assertTrue(td.cuda().isPresent());
                assertTrue(td.describe().startsWith("cuda:0"), td.describe());
            }
            try (TrainDevice td = TrainDevice.select("cuda:4096")) {
                assertTrue(td.cuda().isEmpty());
                assertTrue(td.note().startsWith("--device cuda:4096: no usable CUDA device (no CUDA device 4096"), td.note());
            }
        }
    }
}
