package dev.lookahead4j.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.Device;
import dev.lookahead4j.Lookahead;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.ParamArena;
import dev.lookahead4j.Pullback;
import dev.lookahead4j.optim.Adam;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUstream;
import org.junit.jupiter.api.Test;

/** Device memory, pointers, streams and errors of the CUDA backend. On a GPU, and on cuda-emu in CI. */
class CudaMemoryTest {

    /** Free device memory seen through our own reference to the primary context. */
    static long free(CUcontext ctx) {
        cuCtxSetCurrent(ctx);
        long[] free = new long[1], total = new long[1];
        CudaBackend.check(cuMemGetInfo(free, total), "cuMemGetInfo");
        return free[0];
    }

    static void cycle() {
        try (Device d = Device.cuda(0);
             ParamArena a = ParamArena.builder().add("w", 20_000_000).add("b", 77).build(d);
             Optimizer o = Optimizer.builder(a, Adam.builder().amsgrad(true).build())
                     .lookahead(Lookahead.builder().syncPeriod(2).pullback(Pullback.PULLBACK).build()).build()) {
            for (int s = 0; s < 3; s++) o.step();
            o.gradientNorm();
            o.slowDistance();
            o.sync();
            d.synchronize();
        }
    }

    @Test
    void deviceMemoryReturnsToItsStartingLevelAfterClose() {
        CudaTests.openOrSkip().close();
        CUdevice dev = new CUdevice();
        CUcontext ctx = new CUcontext();
        CudaBackend.check(cuDeviceGet(dev, 0), "cuDeviceGet");
        CudaBackend.check(cuDevicePrimaryCtxRetain(ctx, dev), "cuDevicePrimaryCtxRetain"); // keeps the context alive to measure it
        try {
            cycle(); // the first use of a context may reserve memory for good (module code, local memory)
            long before = free(ctx);
            cycle();
            long after = free(ctx);
            assertEquals(before, after, "device memory after close differs from before by " + (before - after) + " bytes");
        } finally {
            cuDevicePrimaryCtxRelease(dev);
        }
    }

    @Test
    void closeIsIdempotentAndFreesWhatIsStillAllocated() {
        Device d = CudaTests.openOrSkip();
        CudaBackend b = CudaBackend.of(d);
        ParamArena a = ParamArena.builder().add("w", 1000).build(d);
        assertTrue(b.liveBytes() >= 8000);
        d.close();
        d.close();
        b.close();
        a.close(); // after the device: a no-op, no crash
        assertThrows(IllegalStateException.class, () -> b.allocate("x", 10));
    }

    @Test
    void outOfMemoryNamesTheSizesAndLeaksNothing() {
        try (Device d = CudaTests.openOrSkip()) {
            CudaBackend b = CudaBackend.of(d);
            long live = b.liveBytes();
            long huge = b.memoryInfo()[1]; // floats: 4x the whole memory
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.allocate("test", huge));
            assertTrue(e.getMessage().contains("out of CUDA device memory") && e.getMessage().contains("asked " + huge * 4)
                    && e.getMessage().contains("free"), e.getMessage());
            assertEquals(live, b.liveBytes());
        }
    }

    @Test
    void devicePointersLetUserCodeWriteGradientsInPlace() {
        try (Device d = CudaTests.openOrSkip();
             ParamArena a = ParamArena.builder().add("w", 100).add("b", 3).build(d)) {
            CudaBuffer grads = (CudaBuffer) a.gradsBuffer();
            assertEquals(grads.deviceAddress(), a.gradsDevicePointer());
            assertEquals(grads.deviceAddress() + a.param("b").offset() * 4, a.gradDevicePointer("b"));
            assertEquals(((CudaBuffer) a.valuesBuffer()).deviceAddress() + a.param("b").offset() * 4, a.devicePointer("b"));
            assertEquals(0, a.gradDevicePointer("b") % 128, "parameters start 128-byte aligned");
            float[] g = {1f, -2f, 3.5f};
            CudaBackend.check(cuMemcpyHtoD(grads.pointer().withByteOffset(a.param("b").offset() * 4), Pointer.to(g), 12), "cuMemcpyHtoD");
            assertArrayEquals(g, a.grad("b"));
        }
    }

    @Test
    void stepsRunOnAUserStream() {
        try (Device d = CudaTests.openOrSkip();
             ParamArena a = ParamArena.builder().add("w", 1 << 20).build(d);
             Optimizer o = Optimizer.builder(a, Adam.builder().build()).build()) {
            CudaBackend b = CudaBackend.of(d);
            b.makeCurrent();
            CUstream s = new CUstream();
            CudaBackend.check(cuStreamCreate(s, 0), "cuStreamCreate");
            try {
                b.setStream(s);
                assertTrue(b.stream() == s);
                float[] g = new float[1 << 20];
                java.util.Arrays.fill(g, 1f);
                a.setGrad("w", g);
                o.step();
                d.synchronize();
                float[] w = a.values("w");
                assertEquals(-1e-3f, w[0], 1e-9f);
                b.setStream(null);
            } finally {
                cuStreamDestroy(s);
            }
        }
    }
}
