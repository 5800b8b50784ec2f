package dev.lookahead4j.backend;

/**
 * The per-step arguments, mutated in place by the optimizer before each step (no allocation).
 * {@code scalars[g]} and {@code flags[g]} hold group g's float scalars and flag bits in the layout of
 * {@link RuleKind}. The sync fields apply to all groups.
 */
public final class StepArgs {
    /** Largest number of float scalars any rule uses. */
    public static final int MAX_SCALARS = 12;

    public final float[][] scalars;
    public final int[] flags;
    /** This step ends with a Lookahead sync. */
    public boolean sync;
    /** f32(alpha) and f32(1 - alpha). */
    public float alpha, oneMinusAlpha;
    /** {@link RuleKind#PULLBACK_NONE}, {@link RuleKind#PULLBACK_RESET} or {@link RuleKind#PULLBACK_PULLBACK}. */
    public int pullback;

    public StepArgs(int groups) {
        scalars = new float[groups][MAX_SCALARS];
        flags = new int[groups];
    }
}
