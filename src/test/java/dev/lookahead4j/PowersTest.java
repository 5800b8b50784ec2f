package dev.lookahead4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lookahead4j.optim.Powers;
import org.junit.jupiter.api.Test;

/** The tabulated powers are exactly StrictMath.pow, in order, across blocks, out of order and with many bases. */
class PowersTest {
    @Test
    void exactlyStrictMathPow() {
        Powers p = new Powers();
        double[] bases = {0.9, 0.999, 0.96, 0.99, 0.98, 0.5};
        for (long t = 1; t <= 3000; t++) {
            for (double b : bases) {
                assertEquals(Double.doubleToRawLongBits(StrictMath.pow(b, t)), Double.doubleToRawLongBits(p.pow(b, t)), b + "^" + t);
            }
            assertEquals(StrictMath.pow(0.96, t * 4e-3), p.pow(0.96, 4e-3, t), 0.0);
        }
        for (long t : new long[] {5, 100_000, 7, 1L << 40}) assertEquals(StrictMath.pow(0.999, t), p.pow(0.999, t), 0.0);
    }
}
