package dev.lookahead4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lookahead4j.Device;
import dev.lookahead4j.Lookahead;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.ParamArena;
import dev.lookahead4j.optim.Adam;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend's gradient norm and slow distance add in reduce.cu's order, checked against a
 * transcription of the kernels' loops (one accumulator per CUDA thread striding by 256, then the block
 * tree; the same over the partials), on groups of several chunks with ragged ends, on 1, 2 and 3
 * threads: the same bits every time. (On CUDA the same sums are compared with these on cuda-emu.)
 */
class ReductionOrderTest {
    static final int CHUNK = 65536, THREADS = 256;

    /** reduce.cu's la_partial for one chunk, as the kernel's threads run it. */
    static double kernelChunk(float[] x, float[] y, int from, int to) {
        double[] sh = new double[THREADS];
        for (int t = 0; t < THREADS; t++) {
            double acc = 0.0;
            for (int i = from + t; i < to; i += THREADS) {
                double d = y == null ? (double) x[i] : (double) x[i] - (double) y[i];
                acc += d * d;
            }
            sh[t] = acc;
        }
        return blockSum(sh);
    }

    static double blockSum(double[] sh) {
        for (int w = THREADS / 2; w > 0; w >>= 1) {
            for (int t = 0; t < THREADS; t++) if (t < w) sh[t] = sh[t] + sh[t + w];
        }
        return sh[0];
    }

    /** la_*_partial over the groups, then la_reduce_final. */
    static double kernelSum(float[] x, float[] y, long[][] groups) {
        java.util.List<Double> partials = new java.util.ArrayList<>();
        for (long[] g : groups) {
            for (long from = g[0]; from < g[1]; from += CHUNK) partials.add(kernelChunk(x, y, (int) from, (int) Math.min(g[1], from + CHUNK)));
        }
        double[] sh = new double[THREADS];
        for (int t = 0; t < THREADS; t++) {
            double acc = 0.0;
            for (int i = t; i < partials.size(); i += THREADS) acc += partials.get(i);
            sh[t] = acc;
        }
        return blockSum(sh);
    }

    @Test
    void theConstantsAreTheKernels() throws Exception {
        assertEquals(dev.lookahead4j.cuda.KernelNames.REDUCE_CHUNK, ReductionOrder.CHUNK);
        assertEquals(dev.lookahead4j.cuda.KernelNames.REDUCE_THREADS, ReductionOrder.LANES);
        String cu = java.nio.file.Files.readString(java.nio.file.Path.of("cuda-kernels/reduce.cu"));
        org.junit.jupiter.api.Assertions.assertTrue(cu.contains("#define LA_CHUNK " + CHUNK) && cu.contains("#define LA_RED_THREADS " + THREADS),
                "reduce.cu's LA_CHUNK / LA_RED_THREADS differ from ReductionOrder's");
        assertEquals(CHUNK, ReductionOrder.CHUNK);
        assertEquals(THREADS, ReductionOrder.LANES);
    }

    @Test
    void normAndDistanceAddInTheCudaKernelsOrderOnAnyThreadCount() {
        long[] bits = null;
        for (int threads : new int[] {1, 2, 3}) {
            try (Device d = Device.cpu(threads);
                 ParamArena a = ParamArena.builder().group("a").add("w", 3 * CHUNK + 1001).add("v", 17).group("b").add("b", 300).build(d);
                 Optimizer o = Optimizer.builder(a, Adam.builder().build()).lookahead(Lookahead.builder().syncPeriod(4).build()).build()) {
                SplittableRandom r = new SplittableRandom(9);
                float[] x = a.paramsArray();
                for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * Math.exp(r.nextGaussian() * 3));
                float[] g = a.gradsArray();
                for (int s = 0; s < 3; s++) {
                    for (int i = 0; i < g.length; i++) g[i] = (float) (r.nextGaussian() * Math.exp(r.nextGaussian() * 3));
                    o.step();
                }
                long[][] groups = new long[a.groups().size()][];
                for (int k = 0; k < groups.length; k++) groups[k] = new long[] {a.groups().get(k).start(), a.groups().get(k).end()};
                float[] slow = o.stateBuffers().get("slow") == null ? null : read(o.stateBuffers().get("slow"));
                double norm = Math.sqrt(kernelSum(g, null, groups)), dist = Math.sqrt(kernelSum(x, slow, groups));
                assertEquals(Double.doubleToLongBits(norm), Double.doubleToLongBits(o.gradientNorm()), threads + " threads: gradient norm");
                assertEquals(Double.doubleToLongBits(dist), Double.doubleToLongBits(o.slowDistance()), threads + " threads: slow distance");
                long[] got = {Double.doubleToLongBits(norm), Double.doubleToLongBits(dist)};
                if (bits == null) bits = got;
                assertEquals(bits[0], got[0]);
                assertEquals(bits[1], got[1]);
            }
        }
    }

    static float[] read(dev.lookahead4j.backend.Buffer b) {
        float[] x = new float[(int) b.length()];
        b.read(0, x, 0, x.length);
        return x;
    }
}
