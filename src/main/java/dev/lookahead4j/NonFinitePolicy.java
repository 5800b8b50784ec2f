package dev.lookahead4j;

/** What {@link Optimizer#step()} does when a gradient element is NaN or infinite. */
public enum NonFinitePolicy {
    /** Step anyway; NaN/Inf flow into the weights and state (PyTorch's behaviour). No check is made. */
    PROPAGATE,
    /** Change nothing: no parameter, no state, no step or Lookahead counter advances; step() returns false. */
    SKIP_STEP,
    /** Throw {@link NonFiniteGradientException} naming the first offending parameter; nothing changes. */
    THROW
}
