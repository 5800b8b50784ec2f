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
 * two devices, different multiprocessor counts, threads run last to first, a trace of the driver calls a
 * step makes; and every entry point used from threads that did not open the device (cuda-emu fails
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
        configure("driver_version=11080"); // CUDA 11.8: older than any toolkit that builds these kernels
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Device.cuda(0));
        String m = e.getMessage();
        assertTrue(m.startsWith("the CUDA driver is too old for this build's kernels"), m);
        assertTrue(m.contains("CUDA_ERROR_UNSUPPORTED_PTX_VERSION"), m);
        assertTrue(m.contains("this driver supports CUDA 11.8"), m);
        java.util.Properties built = new java.util.Properties();
        built.load(new java.io.ByteArrayInputStream(CudaBackend.resource(KernelNames.BUILD_INFO)));
        assertTrue(m.contains("compiled by CUDA " + built.getProperty("toolkit") + ", PTX ISA " + built.getProperty("ptx.isa")), m);
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

    /**
     * The reductions add fixed 65536-element chunks in a fixed order, whichever block does a chunk: the
     * gradient norm and the slow distance are the same to the last bit on 1, 3, 16 or 132 SMs (an H200
     * has 132), and so are the parameters. One GPU cannot show this; cuda-emu's {@code sms} setting can.
     */
    @Test
    void reductionsAndStepsDoNotDependOnTheNumberOfMultiprocessors() throws IOException {
        long[] reference = null;
        float[] referenceValues = null;
        for (int sms : new int[] {1, 3, 16, 132}) {
            configure("sms=" + sms);
            try (Device d = Device.cuda(0);
                 ParamArena a = ParamArena.builder().group("a").add("w", 1_200_007).group("b").add("b", 70_001).build(d);
                 Optimizer o = Optimizer.builder(a, Adam.builder().build())
                         .lookahead(Lookahead.builder().syncPeriod(2).slowStepSize(0.5).build()).build()) {
                assertTrue(d.describe().contains(sms + " SMs"), d.describe());
                float[] x = new float[(int) a.length()];
                java.util.SplittableRandom r = new java.util.SplittableRandom(5);
                for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                a.valuesBuffer().write(0, x, 0, x.length);
                for (int s = 0; s < 3; s++) {
                    for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 1e-2);
                    a.gradsBuffer().write(0, x, 0, x.length);
                    o.step();
                }
                long[] got = {Double.doubleToLongBits(o.gradientNorm()), Double.doubleToLongBits(o.slowDistance())};
                float[] values = new float[(int) a.length()];
                a.valuesBuffer().read(0, values, 0, values.length);
                if (reference == null) {
                    reference = got;
                    referenceValues = values;
                } else {
                    assertEquals(reference[0], got[0], "gradient norm on " + sms + " SMs differs from 1 SM");
                    assertEquals(reference[1], got[1], "slow distance on " + sms + " SMs differs from 1 SM");
                    CudaTests.assertBits("values on " + sms + " SMs", referenceValues, values);
                }
            }
        }
    }

    /** Whether device 0's primary context is retained by anyone (cuda-emu answers from its reference count). */
    static boolean primaryContextActive() {
        jcuda.driver.CUdevice dev = new jcuda.driver.CUdevice();
        CudaBackend.check(jcuda.driver.JCudaDriver.cuDeviceGet(dev, 0), "cuDeviceGet");
        int[] flags = new int[1], active = new int[1];
        CudaBackend.check(jcuda.driver.JCudaDriver.cuDevicePrimaryCtxGetState(dev, flags, active), "cuDevicePrimaryCtxGetState");
        return active[0] != 0;
    }

    /** A failed open (driver too old for the PTX) releases the primary context it retained; close() does too. */
    @Test
    void aFailedOpenAndCloseLeaveThePrimaryContextReleased() throws IOException {
        assertTrue(!primaryContextActive(), "another test left device 0's primary context retained");
        Device d = Device.cuda(0);
        assertTrue(primaryContextActive());
        d.close();
        assertTrue(!primaryContextActive(), "close() did not release the primary context");
        configure("driver_version=11080"); // CUDA 11.8: older than any toolkit that builds these kernels
        assertThrows(IllegalStateException.class, () -> Device.cuda(0));
        assertTrue(!primaryContextActive(), "a failed open kept the primary context");
    }

    /**
     * Out of device memory in the middle of building an optimizer (the slow weights do not fit): the
     * message names what and how much; the buffers it had allocated are freed, the arena is as it was,
     * and an optimizer that fits can be built on it afterwards.
     */
    @Test
    void outOfMemoryWhileBuildingAnOptimizerFreesWhatItHadAllocated() throws IOException {
        configure("memory=2000000"); // the arena (2 x 400000 bytes, 400128 as cuda-emu rounds) and m, v fit; the slow weights do not
        try (Device d = Device.cuda(0); ParamArena a = ParamArena.builder().add("w", 100_000).build(d)) {
            CudaBackend b = CudaBackend.of(d);
            long arenaBytes = b.liveBytes();
            assertEquals(2 * 400_000, arenaBytes);
            float[] w = new float[100_000];
            java.util.Arrays.fill(w, 0.25f);
            a.setValues("w", w);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Optimizer.builder(a, Adam.builder().build())
                    .lookahead(Lookahead.builder().syncPeriod(5).pullback(Pullback.PULLBACK).build()).build());
            assertTrue(e.getMessage().startsWith("out of CUDA device memory allocating "), e.getMessage());
            assertTrue(e.getMessage().contains("asked 400000 bytes"), e.getMessage());
            assertEquals(arenaBytes, b.liveBytes(), "the optimizer's partial allocations were not freed");
            CudaTests.assertBits("arena values", w, a.values("w"));
            try (Optimizer o = Optimizer.builder(a, Adam.builder().build()).build()) {
                a.setGrad("w", w);
                o.step();
                assertEquals(0.25f - 1e-3f, a.values("w")[0], 1e-7f);
            }
            assertEquals(arenaBytes, b.liveBytes());
        }
    }

    /** The driver calls cuda-emu traced since {@code from} bytes of {@code trace}, cuCtxSetCurrent left out. */
    static List<String> callsSince(Path trace, long from) throws IOException {
        byte[] all = Files.readAllBytes(trace);
        String text = new String(all, (int) from, all.length - (int) from, java.nio.charset.StandardCharsets.UTF_8);
        return text.lines().filter(l -> !l.equals("cuCtxSetCurrent")).toList();
    }

    /**
     * The hot-path promise, counted at the driver: with {@code PROPAGATE} a step() is exactly one kernel
     * launch for all (here three) parameter groups and nothing else (no synchronisation, copy or
     * allocation), the k-th step included (the sync is fused); with {@code SKIP_STEP} the finiteness
     * check adds one partial launch per group, one final launch, one stream synchronisation and one
     * 8-byte read.
     */
    @Test
    void aStepIsOneLaunchForAllGroupsAndNoHostSynchronisation() throws IOException {
        Path trace = tmp.resolve("trace.txt");
        configure("trace=" + trace);
        for (dev.lookahead4j.NonFinitePolicy policy : dev.lookahead4j.NonFinitePolicy.values()) {
            if (policy == dev.lookahead4j.NonFinitePolicy.THROW) continue; // the same check as SKIP_STEP
            try (Device d = Device.cuda(0);
                 ParamArena a = ParamArena.builder().group("a").add("w", 5000).group("b").add("b", 77).group("c").add("c", 9).build(d);
                 Optimizer o = Optimizer.builder(a, Adam.builder().build()).nonFinitePolicy(policy)
                         .lookahead(Lookahead.builder().syncPeriod(3).pullback(Pullback.PULLBACK).build()).build()) {
                a.setGrad("w", new float[5000]);
                o.step(); // the first step prepares (allocations, argument blocks)
                d.synchronize();
                long mark = Files.size(trace);
                int steps = 7; // steps 2..8: two of them (3 and 6) sync
                for (int s = 0; s < steps; s++) o.step();
                List<String> calls = callsSince(trace, mark);
                List<String> expected = new java.util.ArrayList<>();
                for (int s = 0; s < steps; s++) {
                    if (policy == dev.lookahead4j.NonFinitePolicy.SKIP_STEP) {
                        for (int g = 0; g < 3; g++) expected.add("cuLaunchKernel la_nonfinite_partial");
                        expected.add("cuLaunchKernel la_reduce_final");
                        expected.add("cuStreamSynchronize");
                        expected.add("cuMemcpyDtoH bytes=8");
                    }
                    expected.add("cuLaunchKernel la_step_adam"); // all three groups in one launch
                }
                List<String> got = calls.stream().map(l -> l.replaceAll(" (grid|block|stream)=\\S+", "")).toList();
                assertEquals(expected, got, policy + ": the driver calls of " + steps + " steps");
            }
        }
    }

    /**
     * With cuda-emu running every grid's blocks and every block's threads last to first, the results are
     * still the CPU backend's to the last bit (steps with fused syncs, a forced sync, the reductions): no
     * kernel depends on the order its threads run in (a race or a missing barrier would show in one of
     * the two orders; every other test runs the first-to-last one).
     */
    @Test
    void resultsDoNotDependOnTheOrderThreadsRunIn() throws IOException {
        configure("order=reverse", "sms=3");
        for (dev.lookahead4j.optim.InnerOptimizer inner : new dev.lookahead4j.optim.InnerOptimizer[] {
                Adam.builder().amsgrad(true).weightDecay(1e-2).build(),
                dev.lookahead4j.optim.RmsProp.builder().centered(true).momentum(0.9).build(),
                dev.lookahead4j.optim.NAdam.builder().build()}) {
            float[][] got = new float[2][];
            long[][] sums = new long[2][];
            int side = 0;
            for (Device d : new Device[] {Device.cpu(2), Device.cuda(0)}) {
                try (d; ParamArena a = ParamArena.builder().group("a").add("w", 200_003).add("v", 5).group("b").add("b", 70_001).build(d);
                     Optimizer o = Optimizer.builder(a, inner).lookahead(Lookahead.builder().syncPeriod(2).pullback(Pullback.PULLBACK).build()).build()) {
                    java.util.SplittableRandom r = new java.util.SplittableRandom(3);
                    float[] x = new float[(int) a.length()];
                    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                    a.valuesBuffer().write(0, x, 0, x.length);
                    for (int s = 0; s < 5; s++) {
                        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 1e-2);
                        a.gradsBuffer().write(0, x, 0, x.length);
                        o.step();
                    }
                    o.sync();
                    sums[side] = new long[] {Double.doubleToLongBits(o.gradientNorm()), Double.doubleToLongBits(o.slowDistance())};
                    java.util.List<float[]> all = new java.util.ArrayList<>();
                    all.add(CudaTests.readAll(a.valuesBuffer()));
                    for (dev.lookahead4j.backend.Buffer b : o.stateBuffers().values()) all.add(CudaTests.readAll(b));
                    int n = 0;
                    for (float[] f : all) n += f.length;
                    got[side] = new float[n];
                    n = 0;
                    for (float[] f : all) {
                        System.arraycopy(f, 0, got[side], n, f.length);
                        n += f.length;
                    }
                }
                side++;
            }
            CudaTests.assertBits(inner.typeName() + ": values and states, threads last to first", got[0], got[1]);
            assertEquals(sums[0][0], sums[1][0], inner.typeName() + ": gradient norm, threads last to first");
            assertEquals(sums[0][1], sums[1][1], inner.typeName() + ": slow distance, threads last to first");
        }
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
