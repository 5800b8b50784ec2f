package dev.lookahead4j.cuda;

import static org.junit.jupiter.api.Assertions.fail;

import dev.lookahead4j.Device;
import org.junit.jupiter.api.Assumptions;

/** Shared by the GPU tests: open CUDA device 0 or skip (with the reason) where there is none. */
final class CudaTests {
    private CudaTests() { }

    static Device openOrSkip() {
        try {
            return Device.cuda(0);
        } catch (RuntimeException | LinkageError e) {
            Assumptions.abort("no usable CUDA device, GPU test skipped: " + e.getMessage());
            throw new AssertionError(e);
        }
    }

    /** Bitwise equality (NaN payloads aside) with the first differences in the message. */
    static void assertBits(String what, float[] expected, float[] actual) {
        if (expected.length != actual.length) fail(what + ": length " + actual.length + ", expected " + expected.length);
        int bad = 0;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                if (bad++ < 5) sb.append(String.format(" [%d] expected %s got %s;", i, expected[i], actual[i]));
            }
        }
        if (bad > 0) fail(what + ": " + bad + " of " + expected.length + " elements differ:" + sb);
    }
}
