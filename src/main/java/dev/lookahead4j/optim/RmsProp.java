package dev.lookahead4j.optim;

import static dev.lookahead4j.optim.Check.f32;

import dev.lookahead4j.backend.RuleKind;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * RMSprop as PyTorch's {@code torch.optim.RMSprop} ({@code rho} is PyTorch's {@code alpha}).
 * <pre>
 *   g = g + wd*p;   sq = rho*sq + (1-rho)*g*g
 *   centered: ga = rho*ga + (1-rho)*g;  avg = sqrt(sq - ga*ga)   (not clamped)   else avg = sqrt(sq)
 *   avg = avg + eps                                  (eps outside the sqrt)
 *   momentum: buf = momentum*buf + g/avg;  p = p - lr*buf     (buffer starts at zero)
 *   else:     p = p - lr*g/avg
 * </pre>
 * TensorFlow/Keras put eps inside the sqrt and fold lr into the momentum buffer; optax's
 * {@code rmsprop} puts eps inside too (optionally). We follow PyTorch.
 */
public record RmsProp(double lr, double rho, double eps, double weightDecay, double momentum, boolean centered,
                      boolean maximize) implements InnerOptimizer {

    public RmsProp {
        Check.lr(lr);
        Check.unitOpen("rho (smoothing constant) value", rho);
        Check.eps(eps);
        Check.weightDecay(weightDecay);
        Check.nonNegative("momentum value", momentum);
    }

    /** RMSprop with PyTorch's defaults (lr 1e-2, rho 0.99, eps 1e-8). */
    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        return new Builder().lr(lr).rho(rho).eps(eps).weightDecay(weightDecay).momentum(momentum)
                .centered(centered).maximize(maximize);
    }

    @Override public RuleKind kind() { return RuleKind.RMSPROP; }
    @Override public String typeName() { return "rmsprop"; }
    @Override public boolean hasFirstMoment() { return momentum > 0; }
    @Override public String[] stateNames() {
        return new String[] {momentum > 0 ? "momentum_buffer" : null, "square_avg", centered ? "grad_avg" : null};
    }

    @Override
    public int scalars(long t, double lr, double weightDecay, double[] hostState, Powers powers, float[] out) {
        out[0] = f32(weightDecay);
        out[1] = f32(rho);
        out[2] = f32(1 - rho);
        out[3] = f32(eps);
        out[4] = f32(momentum);
        out[5] = f32(-lr);
        int f = 0;
        if (maximize) f |= RuleKind.F_MAXIMIZE;
        if (weightDecay != 0) f |= RuleKind.F_WEIGHT_DECAY;
        if (momentum > 0) f |= RuleKind.F_MOMENTUM;
        if (centered) f |= RuleKind.F_CENTERED;
        return f;
    }

    @Override
    public RmsProp withLrAndWeightDecay(double lr, double weightDecay) {
        return new RmsProp(lr, rho, eps, weightDecay, momentum, centered, maximize);
    }

    @Override
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "rmsprop");
        m.put("lr", lr);
        m.put("rho", rho);
        m.put("eps", eps);
        m.put("weight_decay", weightDecay);
        m.put("momentum", momentum);
        m.put("centered", centered);
        m.put("maximize", maximize);
        return m;
    }

    /** Holds the only copy of RMSprop's defaults. */
    public static final class Builder {
        private double lr = 1e-2, rho = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0;
        private boolean centered, maximize;

        public Builder lr(double v) { lr = v; return this; }
        public Builder rho(double v) { rho = v; return this; }
        public Builder eps(double v) { eps = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder momentum(double v) { momentum = v; return this; }
        public Builder centered(boolean v) { centered = v; return this; }
        public Builder maximize(boolean v) { maximize = v; return this; }
        public RmsProp build() { return new RmsProp(lr, rho, eps, weightDecay, momentum, centered, maximize); }
    }
}
