package dev.lookahead4j.backend;

/**
 * A step prepared once by {@link Backend#prepare}. The caller mutates the {@link StepArgs} it passed
 * to {@code prepare} and then calls these methods; implementations read the args at call time and
 * allocate nothing.
 */
public interface PreparedStep {
    /** One fused inner step over every group (plus the Lookahead sync when {@code args.sync}). */
    void step();

    /** Only the Lookahead sync (and pullback) over every group: the forced sync. */
    void syncOnly();

    /** True when every gradient element in the groups is finite. Blocks until known. */
    boolean gradientsFinite();

    /** Sum over the groups of grad², accumulated in double in a fixed order. Blocks. */
    double gradientSquaredNorm();

    /** Sum over the groups of (params - slow)², accumulated in double in a fixed order. Blocks. */
    double slowDistanceSquared();
}
