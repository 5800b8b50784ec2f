package dev.lookahead4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.Device;
import dev.lookahead4j.Lookahead;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.ParamArena;
import dev.lookahead4j.Pullback;
import dev.lookahead4j.optim.Adam;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Driver conditions no single GPU machine offers, staged with cuda-emu's settings file
 * ({@code LA_CUDA_EMU_CONFIG}, read by every {@code cuInit}): a driver older than the PTX, no device,
 * two devices; and every entry point used from threads that did not open the device (cuda-emu fails
 * any call made without a current context, as the driver does). Runs in the surefire execution
 * {@code cuda-emulator} only: elsewhere there is no way to stage these, and it skips saying so.
 */
class CudaEmulatorTest {
    @TempDir Path tmp;

    static Path settings() {
        String p = System.getenv("LA_CUDA_EMU_CONFIG");
        Assumptions.assumeTrue(p != null && !p.isBlank(), "LA_CUDA_EMU_CONFIG is not set");
        return Path.of(p);
    }

    @BeforeEach
    void onCudaEmuOnly() {
        Assumptions.assumeTrue(CudaTests.onEmulator(), "stages driver conditions with cuda-emu: runs in the surefire execution cuda-emulator");
        CudaTests.openOrSkip().close();
    }

    @AfterEach
    void defaults() throws IOException {
        if (CudaTests.onEmulator()) Files.deleteIfExists(settings());
    }

    static void configure(String... lines) throws IOException {
        Files.write(settings(), List.of(lines));
    }

    @Test
    void aDriverOlderThanThePtxSaysWhichToolkitBuiltItAndWhatToDo() throws IOException {
        configure("driver_version=12040");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Device.cuda(0));
        String m = e.getMessage();
        assertTrue(m.startsWith("the CUDA driver is too old for this build's kernels"), m);
        assertTrue(m.contains("CUDA_ERROR_UNSUPPORTED_PTX_VERSION"), m);
        assertTrue(m.contains("this driver supports CUDA 12.4"), m);
        assertTrue(m.contains("compiled by CUDA 13.0") || m.contains("compiled by CUDA 13."), m);
        assertTrue(m.contains("Update the NVIDIA driver") && m.contains("NVCC="), m);
        try (Device d = Device.best()) {
            assertEquals(Device.Kind.CPU, d.kind());
            assertEquals(m, Device.cudaUnavailableReason().orElseThrow());
        }
    }

    @Test
    void noDeviceIsOneLineAndBestFallsBackToTheCpu() throws IOException {
        configure("devices=0");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Device.cuda(0));
        assertTrue(e.getMessage().startsWith("no CUDA device: the driver is installed but sees no GPU"), e.getMessage());
        try (Device d = Device.best()) {
            assertEquals(Device.Kind.CPU, d.kind());
            assertEquals(e.getMessage(), Device.cudaUnavailableReason().orElseThrow());
        }
    }

    @Test
    void aSecondDeviceOpensByOrdinalAndABadOrdinalNamesTheValidRange() throws IOException {
        configure("devices=2");
        try (Device d = Device.cuda(1); ParamArena a = ParamArena.builder().add("w", 1000).build(d);
             Optimizer o = Optimizer.builder(a, Adam.builder().build()).build()) {
            assertTrue(d.describe().startsWith("cuda:1 "), d.describe());
            float[] g = new float[1000];
            java.util.Arrays.fill(g, 1f);
            a.setGrad("w", g);
            o.step();
            assertEquals(-1e-3f, a.values("w")[999], 1e-9f);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Device.cuda(2));
        assertEquals("no CUDA device 2: this machine has 2 (valid ordinals 0..1)", e.getMessage());
    }

    /** Opens on this thread, then uses everything from two other threads; equals the same run on the CPU. */
    @Test
    void everyEntryPointWorksFromThreadsThatDidNotOpenTheDevice() throws Exception {
        float[] cpu = run(Device.cpu(1), null);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            float[] cuda = run(Device.cuda(0), pool);
            CudaTests.assertBits("values after save, load and more steps", cpu, cuda);
        } finally {
            pool.shutdownNow();
        }
    }

    private float[] run(Device d, ExecutorService pool) throws Exception {
        Path file = tmp.resolve(d.kind() + ".safetensors");
        ParamArena a = onPool(pool, () -> ParamArena.builder().add("w", 3000).add("b", 7).build(d));
        Optimizer o = onPool(pool, () -> Optimizer.builder(a, Adam.builder().amsgrad(true).build())
                .lookahead(Lookahead.builder().syncPeriod(2).pullback(Pullback.PULLBACK).build()).build());
        float[] w = new float[3000];
        for (int i = 0; i < w.length; i++) w[i] = (float) Math.sin(i);
        onPool(pool, () -> {
            a.setValues("w", w);
            return null;
        });
        for (int s = 0; s < 5; s++) {
            final int step = s;
            onPool(pool, () -> {
                float[] g = new float[3000];
                for (int i = 0; i < g.length; i++) g[i] = (float) Math.cos(i * (step + 1));
                a.setGrad("w", g);
                a.setGrad("b", new float[] {1, 2, 3, 4, 5, 6, 7});
                o.step();
                return null;
            });
        }
        double norm = onPool(pool, o::gradientNorm), dist = onPool(pool, o::slowDistance);
        assertTrue(norm > 0 && dist > 0, norm + " " + dist);
        onPool(pool, () -> {
            o.save(file);
            o.step();
            o.sync();
            o.load(file);
            o.step();
            return null;
        });
        float[] out = onPool(pool, () -> a.values("w"));
        onPool(pool, () -> {
            o.close();
            a.close();
            d.close();
            return null;
        });
        return out;
    }

    /** Runs {@code c} on the pool (a thread that did not open the device) or here when the pool is null. */
    private static <T> T onPool(ExecutorService pool, java.util.concurrent.Callable<T> c) throws Exception {
        if (pool == null) return c.call();
        Future<T> f = pool.submit(c);
        return f.get();
    }
}
