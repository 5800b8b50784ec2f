package dev.lookahead4j.optim;

import dev.lookahead4j.backend.RuleKind;
import java.util.Map;

/**
 * An inner optimizer's immutable configuration and its host-side per-step scalars. The per-element
 * math lives in the backends ({@code CpuKernels}, {@code rules.cuh}); this type computes, once per step
 * and in double, the float scalars those kernels take (layout in {@link RuleKind}).
 */
public sealed interface InnerOptimizer permits Sgd, Adam, RmsProp, Adagrad, RAdam, NAdam {
    /** The kernel rule. */
    RuleKind kind();

    /** The type name used in reference cases and checkpoints: sgd, adam, adamw, rmsprop, adagrad, radam, nadam. */
    String typeName();

    /** Base learning rate (a group may override it). */
    double lr();

    /** Base weight decay (a group may override it). */
    double weightDecay();

    /** True when the rule keeps a first-moment buffer (slot s0), the target of the pullback policies. */
    boolean hasFirstMoment();

    /** Names of the state buffers in slots s0, s1, s2 (PyTorch's state keys); null where a slot is unused. */
    String[] stateNames();

    /** Number of host-side state values carried from step to step (NAdam's mu product). */
    default int hostStateSize() { return 0; }

    /** Initial host-side state. */
    default void initHostState(double[] state) { }

    /** Advances the host-side state to step {@code t} (1 on the first step). */
    default void advanceHostState(long t, double[] state, Powers powers) { }

    /**
     * Writes the float scalars of step {@code t} (1 on the first step) for a group with learning rate
     * {@code lr} and weight decay {@code weightDecay} into {@code out} and returns the flag bits.
     * {@code hostState} is already advanced to step t. Powers of the betas come from {@code powers}
     * (StrictMath.pow, tabulated per block of steps).
     */
    int scalars(long t, double lr, double weightDecay, double[] hostState, Powers powers, float[] out);

    /** Same config with another base learning rate and weight decay (used for per-group settings). */
    InnerOptimizer withLrAndWeightDecay(double lr, double weightDecay);

    /** The configuration as reference-case style fields (snake_case, PyTorch names). */
    Map<String, Object> toMap();

    /** The inverse of {@link #toMap()}: builds a validated config from its fields. */
    static InnerOptimizer fromMap(Map<String, ?> m) {
        return InnerOptimizers.fromMap(m);
    }
}
