package dev.lookahead4j;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lookahead4j.optim.Adam;
import dev.lookahead4j.optim.NAdam;
import dev.lookahead4j.schedule.LearningRateSchedule;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** After warm-up, step() allocates nothing on the calling thread (no per-step host allocation). */
class HotPathAllocationTest {
    @Test
    void stepAllocatesNothing() {
        var bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "needs com.sun.management.ThreadMXBean");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
        assumeTrue(mx.isThreadAllocatedMemorySupported());
        mx.setThreadAllocatedMemoryEnabled(true);
        for (var inner : new dev.lookahead4j.optim.InnerOptimizer[] {Adam.builder().amsgrad(true).build(), NAdam.builder().build()}) {
            try (Device d = Device.cpu(2);
                 ParamArena a = ParamArena.builder().group("a").add("w", 50_000).group("b").add("b", 1000).build(d);
                 Optimizer opt = Optimizer.builder(a, inner)
                         .lookahead(Lookahead.builder().syncPeriod(3).pullback(Pullback.PULLBACK).build())
                         .schedule(LearningRateSchedule.warmup(10, 0.1, LearningRateSchedule.cosine(100, 0)))
                         .nonFinitePolicy(NonFinitePolicy.SKIP_STEP).build()) {
                java.util.Arrays.fill(a.gradsArray(), 1e-3f);
                for (int i = 0; i < 1500; i++) opt.step(); // warm up (and JIT)
                long tid = Thread.currentThread().getId();
                // the least of three windows: a one-off (class loading, deoptimisation) shows in one window,
                // a per-step allocation in all of them
                long allocated = Long.MAX_VALUE;
                for (int w = 0; w < 3; w++) {
                    long before = mx.getThreadAllocatedBytes(tid);
                    for (int i = 0; i < 300; i++) opt.step();
                    allocated = Math.min(allocated, mx.getThreadAllocatedBytes(tid) - before);
                }
                assertTrue(allocated < 1024, inner.typeName() + ": 300 steps allocated (least of 3 windows) " + allocated + " bytes on the calling thread");
            }
        }
    }
}
