package dev.lookahead4j;

/** Thrown by {@link Optimizer#step()} under {@link NonFinitePolicy#THROW}; the optimizer state is unchanged. */
public final class NonFiniteGradientException extends RuntimeException {
    private final String parameter;
    private final long step;

    public NonFiniteGradientException(String parameter, int index, float value, long step) {
        super("Non-finite gradient in parameter '" + parameter + "' at element " + index + " (" + value + ") at step "
                + step + "; nothing was changed");
        this.parameter = parameter;
        this.step = step;
    }

    /** The name of the first parameter (in layout order) with a non-finite gradient. */
    public String parameter() { return parameter; }

    /** The step that was refused (1-based: the step count it would have reached). */
    public long step() { return step; }
}
