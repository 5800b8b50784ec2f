package dev.lookahead4j.cuda;

import dev.lookahead4j.Device;
import dev.lookahead4j.HotPathAllocationTest;
import dev.lookahead4j.NonFinitePolicy;
import dev.lookahead4j.optim.Adam;
import dev.lookahead4j.optim.NAdam;
import dev.lookahead4j.optim.Sgd;
import org.junit.jupiter.api.Test;

/**
 * On CUDA, after warm-up, step() allocates nothing on the Java heap of the calling thread: the launch
 * arguments are built once per prepared step and rewritten in place. With {@code SKIP_STEP} (a
 * gradient check, i.e. a reduction and a read-back every step) too. On a GPU, and on cuda-emu in CI.
 */
class CudaHotPathTest {
    @Test
    void stepAllocatesNothingOnCuda() {
        try (Device d = CudaTests.openOrSkip()) {
            for (var inner : new dev.lookahead4j.optim.InnerOptimizer[] {
                    Adam.builder().amsgrad(true).build(), NAdam.builder().build(), Sgd.builder().lr(0.1).momentum(0.9).build()}) {
                HotPathAllocationTest.assertStepAllocatesNothing(d, inner, NonFinitePolicy.PROPAGATE, 4000, 500);
                HotPathAllocationTest.assertStepAllocatesNothing(d, inner, NonFinitePolicy.SKIP_STEP, 4000, 500);
            }
        }
    }
}
