package dev.lookahead4j.train;

import dev.lookahead4j.Lookahead;
import dev.lookahead4j.optim.InnerOptimizer;

/**
 * One training run of a comparison: an inner optimizer, alone ({@code lookahead == null}) or wrapped
 * in Lookahead.
 *
 * @param label     the name shown in tables, logs and the plot legend
 * @param inner     the inner rule
 * @param lookahead the Lookahead settings, or null for the inner rule alone
 */
public record RunSpec(String label, InnerOptimizer inner, Lookahead lookahead) {
    public RunSpec {
        if (label == null || label.isBlank()) throw new IllegalArgumentException("Invalid run label: must be non-blank");
        if (inner == null) throw new IllegalArgumentException("Invalid inner optimizer: null");
    }

    /** The inner rule alone, labelled like {@code adam(lr=0.001)}. */
    public static RunSpec plain(InnerOptimizer inner) {
        return new RunSpec(OptimizerSpec.label(inner), inner, null);
    }

    /** Lookahead around the inner rule, labelled like {@code lookahead(adam(lr=0.001),k=5,alpha=0.5)}. */
    public static RunSpec lookahead(InnerOptimizer inner, Lookahead la) {
        if (la == null) throw new IllegalArgumentException("Invalid lookahead: null");
        String pb = la.pullback() == dev.lookahead4j.Pullback.NONE ? "" : ",pullback=" + la.pullback().name().toLowerCase(java.util.Locale.ROOT);
        return new RunSpec("lookahead(" + OptimizerSpec.label(inner) + ",k=" + la.syncPeriod() + ",alpha="
                + OptimizerSpec.fmt(la.slowStepSize()) + pb + ")", inner, la);
    }
}
