package dev.lookahead4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.Device;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CPU-side parts of the CUDA model path, which run everywhere: device selection and its fallback
 * notes, the launcher's argument blocks, and that both models start from the same initial values.
 */
class TrainDeviceTest {
    @Test
    void cpuIsTheCpuWithoutANote() {
        try (TrainDevice td = TrainDevice.select("cpu")) {
            assertTrue(td.cuda().isEmpty());
            assertNull(td.note());
            assertEquals("cpu", td.describe());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpu", "cuda:", "cuda:-1", "cuda:x", "CUDA", "cuda:1234567890", ""})
    void malformedSpecsAreRejectedNamingTheOption(String spec) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainDevice.select(spec));
        assertEquals("Invalid --device: '" + spec + "' (auto, cpu, cuda or cuda:N)", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"auto", "cuda", "cuda:0", "cuda:3"})
    void whereCudaIsUnusableTheNoteSaysWhyInOneLine(String spec) {
        try (TrainDevice td = TrainDevice.select(spec)) {
            if (td.cuda().isPresent()) {
                assertNull(td.note()); // a machine with a GPU and cuBLAS (cuda:3 would need four GPUs)
                return;
            }
            String note = td.note();
            assertTrue(note.startsWith("--device " + spec + ": "), note);
            assertTrue(note.endsWith("; the model and optimizer run on the CPU"), note);
            assertTrue(!note.contains("\n"), note);
            String why = note.substring(("--device " + spec + ": ").length());
            assertTrue(why.startsWith("no usable CUDA device (") || why.startsWith("JCublas ") || why.startsWith("the MLP kernels cannot load ("), note);
            assertEquals("cpu", td.describe());
        }
    }

    @Test
    void cpuRunsThroughTheDeviceArgumentAreTheCpuRuns() {
        Dataset.Split data = SyntheticData.generate(5, 300, 100);
        Trainer.Config cfg = new Trainer.Config(new int[] {16}, 64, 1, 9, 2);
        RunSpec spec = RunSpec.plain(dev.lookahead4j.optim.Adam.builder().build());
        EpochStats a = Trainer.run(data, cfg, spec, null).last(), b = Trainer.run(data, cfg, spec, null, null).last();
        assertEquals(a.trainLoss(), b.trainLoss(), 0.0);
        assertEquals(a.testLoss(), b.testLoss(), 0.0);
        try (Device cpu = Device.cpu(1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trainer.run(data, cfg, spec, null, cpu));
            assertTrue(e.getMessage().startsWith("Invalid device: cpu"), e.getMessage());
        }
    }

    @Test
    void bothModelsStartFromTheSameValues() {
        int[] widths = {12, 5, 3};
        try (Device cpu = Device.cpu(1); Mlp m = new Mlp(cpu, widths, 4, 1)) {
            m.initialize(77);
            float[][] v = Mlp.initialValues(widths, 77);
            for (int l = 1; l < widths.length; l++) {
                assertArrayEquals(v[2 * (l - 1)], m.arena().values(Mlp.weightName(l)));
                assertArrayEquals(v[2 * (l - 1) + 1], m.arena().values(Mlp.biasName(l)));
            }
        }
    }

    @Test
    void launchBlocksFollowTheSignatureStrings() {
        Map<String, String> sigs = MlpKernelNames.signatures();
        assertEquals(6, sigs.size());
        CudaMlp.Launch g = new CudaMlp.Launch(sigs.get(MlpKernelNames.GATHER));
        g.ptr(0, 0x7f00_0000_1000L).ptr(1, 8).ptr(2, 0).i64(3, 1L << 33).i32(4, 128).i32(5, 784).ptr(6, 16).ptr(7, 24);
        assertEquals(1L << 33, g.longAt(3));
        assertEquals(784, g.intAt(5));
        assertEquals(0x7f00_0000_1000L, g.longAt(0));
        CudaMlp.Launch s = new CudaMlp.Launch(sigs.get(MlpKernelNames.SOFTMAX_XENT));
        s.f32(4, 1f / 3);
        assertEquals(1f / 3, s.floatAt(4));
        assertThrows(IllegalStateException.class, () -> s.i32(4, 1), "an int into the float slot");
        assertThrows(IllegalStateException.class, () -> g.i32(3, 1), "an int into the long long slot");
        assertThrows(IllegalStateException.class, () -> g.ptr(4, 1), "a pointer into an int slot");
        assertThrows(IllegalArgumentException.class, () -> new CudaMlp.Launch("PQ"));
    }
}
