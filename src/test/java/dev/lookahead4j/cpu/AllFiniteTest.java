package dev.lookahead4j.cpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The finiteness scan finds one NaN/Inf at any position of any range (each stream, the tail, offsets). */
class AllFiniteTest {
    @Test
    void findsEveryPosition() {
        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7fc12345)};
        for (int len = 0; len <= 41; len++) {
            for (int from : new int[] {1, 4}) {
                int to = from + len;
                float[] g = new float[to + 1];
                for (int i = from; i < to; i++) g[i] = (i % 3 == 0) ? Float.MAX_VALUE : -Float.MIN_VALUE * i;
                g[from - 1] = Float.NaN; // just outside the range on both sides
                g[to] = Float.POSITIVE_INFINITY;
                assertTrue(CpuStep.allFinite(g, from, to), "finite range, len " + len + " from " + from);
                for (int pos = from; pos < to; pos++) {
                    for (float x : bad) {
                        float keep = g[pos];
                        g[pos] = x;
                        assertFalse(CpuStep.allFinite(g, from, to), x + " at " + pos + ", len " + len + " from " + from);
                        g[pos] = keep;
                    }
                }
            }
        }
    }
}
