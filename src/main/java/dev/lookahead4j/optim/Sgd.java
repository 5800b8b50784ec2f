package dev.lookahead4j.optim;

import static dev.lookahead4j.optim.Check.f32;

import dev.lookahead4j.backend.RuleKind;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SGD with optional momentum, dampening, Nesterov momentum and L2 weight decay (PyTorch's
 * {@code torch.optim.SGD}, {@code foreach=False}).
 * <pre>
 *   d = g (or -g when maximizing);  d = d + wd*p
 *   buf = d on the first step (no dampening!), else momentum*buf + (1-dampening)*d
 *   d = nesterov ? d + momentum*buf : buf
 *   p = p - lr*d
 * </pre>
 * Differences elsewhere: TensorFlow/Keras and optax ({@code optax.sgd}) start the buffer at zero and
 * apply no dampening; Keras folds lr into the velocity. We follow PyTorch. After a Lookahead RESET the
 * buffer is zero, not absent, so the next step uses {@code (1-dampening)*d}.
 */
public record Sgd(double lr, double momentum, double dampening, double weightDecay, boolean nesterov,
                  boolean maximize) implements InnerOptimizer {

    public Sgd {
        Check.lr(lr);
        Check.nonNegative("momentum value", momentum);
        Check.unitClosed("dampening value", dampening);
        Check.weightDecay(weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum > 0 and zero dampening (momentum="
                    + momentum + ", dampening=" + dampening + ")");
        }
    }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        return new Builder().lr(lr).momentum(momentum).dampening(dampening).weightDecay(weightDecay)
                .nesterov(nesterov).maximize(maximize);
    }

    @Override public RuleKind kind() { return RuleKind.SGD; }
    @Override public String typeName() { return "sgd"; }
    @Override public boolean hasFirstMoment() { return momentum != 0; }
    @Override public String[] stateNames() { return new String[] {momentum != 0 ? "momentum_buffer" : null, null, null}; }

    @Override
    public int scalars(long t, double lr, double weightDecay, double[] hostState, Powers powers, float[] out) {
        out[0] = f32(-lr);
        out[1] = f32(momentum);
        out[2] = f32(1 - dampening);
        out[3] = f32(weightDecay);
        int f = 0;
        if (maximize) f |= RuleKind.F_MAXIMIZE;
        if (weightDecay != 0) f |= RuleKind.F_WEIGHT_DECAY;
        if (momentum != 0) f |= RuleKind.F_MOMENTUM;
        if (nesterov) f |= RuleKind.F_NESTEROV;
        if (t == 1) f |= RuleKind.F_FIRST_STEP;
        return f;
    }

    @Override
    public Sgd withLrAndWeightDecay(double lr, double weightDecay) {
        return new Sgd(lr, momentum, dampening, weightDecay, nesterov, maximize);
    }

    @Override
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "sgd");
        m.put("lr", lr);
        m.put("momentum", momentum);
        m.put("dampening", dampening);
        m.put("weight_decay", weightDecay);
        m.put("nesterov", nesterov);
        m.put("maximize", maximize);
        return m;
    }

    /** Holds the only copy of SGD's defaults (PyTorch's: lr 1e-3, no momentum, no decay). */
    public static final class Builder {
        private double lr = 1e-3, momentum = 0, dampening = 0, weightDecay = 0;
        private boolean nesterov, maximize;

        public Builder lr(double v) { lr = v; return this; }
        public Builder momentum(double v) { momentum = v; return this; }
        public Builder dampening(double v) { dampening = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder nesterov(boolean v) { nesterov = v; return this; }
        public Builder maximize(boolean v) { maximize = v; return this; }
        public Sgd build() { return new Sgd(lr, momentum, dampening, weightDecay, nesterov, maximize); }
    }
}
