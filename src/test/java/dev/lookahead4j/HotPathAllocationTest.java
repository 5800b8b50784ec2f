package dev.lookahead4j;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lookahead4j.optim.Adam;
import dev.lookahead4j.optim.NAdam;
import dev.lookahead4j.schedule.LearningRateSchedule;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** After warm-up, step() allocates nothing on the calling thread (no per-step host allocation). */
public class HotPathAllocationTest {
    /** Records 300 more steps with JFR and lists where the calling thread allocated (for the failure message). */
    static String allocationSites(Optimizer opt) {
        try (jdk.jfr.Recording r = new jdk.jfr.Recording()) {
            r.enable("jdk.ObjectAllocationInNewTLAB").withStackTrace();
            r.enable("jdk.ObjectAllocationOutsideTLAB").withStackTrace();
            r.enable("jdk.ObjectAllocationSample").withStackTrace();
            r.start();
            for (int i = 0; i < 300; i++) opt.step();
            r.stop();
            java.nio.file.Path f = java.nio.file.Files.createTempFile("alloc", ".jfr");
            r.dump(f);
            StringBuilder b = new StringBuilder();
            for (jdk.jfr.consumer.RecordedEvent e : jdk.jfr.consumer.RecordingFile.readAllEvents(f)) {
                if (e.getStackTrace() == null || e.getStackTrace().getFrames().stream().noneMatch(fr -> fr.getMethod().getType().getName().startsWith("dev.lookahead4j"))) continue;
                b.append(e.getThread() == null ? "?" : e.getThread().getJavaName()).append(": ");
                b.append(e.getEventType().getName()).append(' ').append(e.getClass("objectClass").getName()).append('\n');
                if (e.getStackTrace() != null) {
                    e.getStackTrace().getFrames().stream().limit(8).forEach(fr -> b.append("    at ").append(fr.getMethod().getType().getName())
                            .append('.').append(fr.getMethod().getName()).append(':').append(fr.getLineNumber()).append('\n'));
                }
            }
            java.nio.file.Files.deleteIfExists(f);
            return b.length() == 0 ? "(none sampled)" : b.toString();
        } catch (Exception | LinkageError e) {
            return "(JFR unavailable: " + e + ")";
        }
    }

    @Test
    void stepAllocatesNothing() {
        for (var inner : new dev.lookahead4j.optim.InnerOptimizer[] {Adam.builder().amsgrad(true).build(), NAdam.builder().build()}) {
            try (Device d = Device.cpu(2)) {
                assertStepAllocatesNothing(d, inner, NonFinitePolicy.SKIP_STEP, 50_000, 1500);
            }
        }
    }

    /**
     * Builds a two-group arena ({@code size} + 1000 parameters) on {@code d} with {@code inner}, Lookahead (pullback), a schedule and
     * {@code policy}, runs {@code warmup} steps, then fails if 300 more steps allocate on the calling
     * thread (the least of three windows of 300, so a one-off does not count). Also used by the CUDA tests.
     */
    public static void assertStepAllocatesNothing(Device d, dev.lookahead4j.optim.InnerOptimizer inner, NonFinitePolicy policy, int size, int warmup) {
        // a jlinked runtime without jdk.management (gpu-pack's) has no com.sun.management: skip, saying so
        // (CI's full JDK runs it, on the CPU and on cuda-emu)
        assumeTrue(ModuleLayer.boot().findModule("jdk.management").isPresent(), "needs the jdk.management module (com.sun.management.ThreadMXBean)");
        assumeTrue(ThreadAllocation.enable(), "this JVM cannot count the bytes a thread allocates");
        try (ParamArena a = ParamArena.builder().group("a").add("w", size).group("b").add("b", 1000).build(d);
             Optimizer opt = Optimizer.builder(a, inner)
                     .lookahead(Lookahead.builder().syncPeriod(3).pullback(Pullback.PULLBACK).build())
                     .schedule(LearningRateSchedule.warmup(10, 0.1, LearningRateSchedule.cosine(100, 0)))
                     .nonFinitePolicy(policy).build()) {
            float[] g = new float[(int) a.length()];
            java.util.Arrays.fill(g, 1e-3f);
            a.gradsBuffer().write(0, g, 0, g.length);
            for (int i = 0; i < warmup; i++) opt.step(); // warm up (and JIT)
            // the least of three windows: a one-off (class loading, deoptimisation) shows in one window,
            // a per-step allocation in all of them
            long allocated = Long.MAX_VALUE;
            for (int w = 0; w < 3; w++) {
                long before = ThreadAllocation.bytes();
                for (int i = 0; i < 300; i++) opt.step();
                allocated = Math.min(allocated, ThreadAllocation.bytes() - before);
            }
            d.synchronize();
            if (allocated >= 1024) {
                throw new AssertionError(d.describe() + ", " + inner.typeName() + ", " + policy + ": 300 steps allocated (least of 3 windows) "
                        + allocated + " bytes on the calling thread; sampled allocation sites:\n" + allocationSites(opt));
            }
        }
    }

    /** com.sun.management (module jdk.management) is touched only here, after the module check. */
    private static final class ThreadAllocation {
        static boolean enable() {
            if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx) || !mx.isThreadAllocatedMemorySupported()) {
                return false;
            }
            mx.setThreadAllocatedMemoryEnabled(true);
            return true;
        }

        static long bytes() {
            return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getThreadAllocatedBytes(Thread.currentThread().getId());
        }
    }
}
