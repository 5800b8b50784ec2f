package dev.lookahead4j.optim;

/**
 * {@code StrictMath.pow(base, t * scale)} for consecutive steps t, tabulated a block of steps at a time.
 * StrictMath (fdlibm) gives the same doubles on every JVM and machine, so every backend gets the same
 * scalars; tabulating keeps its cost, and the temporary arrays fdlibm's pow allocates when the JIT does
 * not inline it, off the per-step path (one refill per {@value #BLOCK} steps and base). Owned by one
 * optimizer; not thread-safe.
 */
public final class Powers {
    static final int BLOCK = 1024;
    private static final int SLOTS = 4;

    private final double[] base = new double[SLOTS], scale = new double[SLOTS];
    private final long[] start = new long[SLOTS];
    private final double[][] table = new double[SLOTS][BLOCK];
    private int used;

    /** {@code StrictMath.pow(b, (double) t * s)}, exactly. */
    public double pow(double b, double s, long t) {
        int slot = -1;
        for (int i = 0; i < used; i++) {
            if (Double.doubleToRawLongBits(base[i]) == Double.doubleToRawLongBits(b)
                    && Double.doubleToRawLongBits(scale[i]) == Double.doubleToRawLongBits(s)) {
                slot = i;
                break;
            }
        }
        if (slot < 0) {
            if (used == SLOTS) return StrictMath.pow(b, (double) t * s); // more bases than slots: no table
            slot = used++;
            base[slot] = b;
            scale[slot] = s;
            fill(slot, t);
        } else if (t < start[slot] || t >= start[slot] + BLOCK) {
            fill(slot, t);
        }
        return table[slot][(int) (t - start[slot])];
    }

    /** {@code StrictMath.pow(b, t)} for an integer step t. */
    public double pow(double b, long t) {
        return pow(b, 1.0, t);
    }

    private void fill(int slot, long t) {
        start[slot] = t;
        double[] tab = table[slot];
        for (int i = 0; i < BLOCK; i++) tab[i] = StrictMath.pow(base[slot], (double) (t + i) * scale[slot]);
    }
}
