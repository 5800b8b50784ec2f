package dev.lookahead4j.optim;

import static dev.lookahead4j.optim.Check.f32;

import dev.lookahead4j.backend.RuleKind;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adagrad as PyTorch's {@code torch.optim.Adagrad}.
 * <pre>
 *   g = g + wd*p;   clr = lr / (1 + (t-1)*lr_decay)
 *   sum = sum + g*g                 (sum starts at initial_accumulator_value)
 *   p = p - clr*g / (sqrt(sum) + eps)
 * </pre>
 * Keras starts the accumulator at 0.1 and puts eps differently; optax's {@code adagrad} starts at 0.1
 * and adds eps inside the sqrt. We follow PyTorch (default eps 1e-10, accumulator 0). Adagrad has no
 * first moment: Lookahead's RESET and PULLBACK policies do nothing.
 */
public record Adagrad(double lr, double lrDecay, double weightDecay, double initialAccumulatorValue, double eps,
                      boolean maximize) implements InnerOptimizer {

    public Adagrad {
        Check.lr(lr);
        Check.nonNegative("lr_decay value", lrDecay);
        Check.weightDecay(weightDecay);
        Check.nonNegative("initial_accumulator_value", initialAccumulatorValue);
        Check.eps(eps);
    }

    /** Adagrad with PyTorch's defaults (lr 1e-2, eps 1e-10). */
    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        return new Builder().lr(lr).lrDecay(lrDecay).weightDecay(weightDecay)
                .initialAccumulatorValue(initialAccumulatorValue).eps(eps).maximize(maximize);
    }

    @Override public RuleKind kind() { return RuleKind.ADAGRAD; }
    @Override public String typeName() { return "adagrad"; }
    @Override public boolean hasFirstMoment() { return false; }
    @Override public String[] stateNames() { return new String[] {null, "sum", null}; }

    @Override
    public int scalars(long t, double lr, double weightDecay, double[] hostState, Powers powers, float[] out) {
        double clr = lr / (1 + (t - 1) * lrDecay);
        out[0] = f32(weightDecay);
        out[1] = f32(-clr);
        out[2] = f32(eps);
        int f = 0;
        if (maximize) f |= RuleKind.F_MAXIMIZE;
        if (weightDecay != 0) f |= RuleKind.F_WEIGHT_DECAY;
        return f;
    }

    @Override
    public Adagrad withLrAndWeightDecay(double lr, double weightDecay) {
        return new Adagrad(lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize);
    }

    @Override
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "adagrad");
        m.put("lr", lr);
        m.put("lr_decay", lrDecay);
        m.put("weight_decay", weightDecay);
        m.put("initial_accumulator_value", initialAccumulatorValue);
        m.put("eps", eps);
        m.put("maximize", maximize);
        return m;
    }

    /** Holds the only copy of Adagrad's defaults. */
    public static final class Builder {
        private double lr = 1e-2, lrDecay = 0, weightDecay = 0, initialAccumulatorValue = 0, eps = 1e-10;
        private boolean maximize;

        public Builder lr(double v) { lr = v; return this; }
        public Builder lrDecay(double v) { lrDecay = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder initialAccumulatorValue(double v) { initialAccumulatorValue = v; return this; }
        public Builder eps(double v) { eps = v; return this; }
        public Builder maximize(boolean v) { maximize = v; return this; }
        public Adagrad build() { return new Adagrad(lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize); }
    }
}
