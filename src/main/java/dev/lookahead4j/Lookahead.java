package dev.lookahead4j;

import dev.lookahead4j.optim.Check;

/**
 * Lookahead's settings (Zhang et al. 2019, "k steps forward, 1 step back"): after every
 * {@code syncPeriod} inner steps the slow weights move toward the fast ones,
 * {@code phi = phi + alpha*(theta - phi)}, and the fast weights restart from them, {@code theta = phi}.
 * The slow weights start as a copy of the initial parameters; the first sync is after inner step k.
 *
 * <p>Build one with {@link #builder()} and give it to {@link Optimizer.Builder#lookahead(Lookahead)}; the
 * wrapper works with every inner rule and fuses the sync into the k-th step's pass.
 *
 * @param syncPeriod    k &gt;= 1 (k = 1 syncs after every step)
 * @param slowStepSize  alpha in [0, 1] (0: the slow weights never move; 1: they copy the fast ones)
 * @param pullback      what a sync does to the inner momentum
 */
public record Lookahead(int syncPeriod, double slowStepSize, Pullback pullback) {
    public Lookahead {
        if (syncPeriod < 1) throw new IllegalArgumentException("Invalid syncPeriod (k): " + syncPeriod + " (must be >= 1)");
        Check.unitClosed("slowStepSize (alpha)", slowStepSize);
        if (pullback == null) throw new IllegalArgumentException("Invalid pullback: null (must be NONE, RESET or PULLBACK)");
    }

    /** Defaults as in the paper: k = 5, alpha = 0.5, pullback NONE. */
    public static Builder builder() { return new Builder(); }

    /** Holds the only copy of Lookahead's defaults. */
    public static final class Builder {
        private int syncPeriod = 5;
        private double slowStepSize = 0.5;
        private Pullback pullback = Pullback.NONE;

        public Builder syncPeriod(int k) { syncPeriod = k; return this; }
        public Builder slowStepSize(double alpha) { slowStepSize = alpha; return this; }
        public Builder pullback(Pullback p) { pullback = p; return this; }
        public Lookahead build() { return new Lookahead(syncPeriod, slowStepSize, pullback); }
    }
}
