package dev.lookahead4j.optim;

import static dev.lookahead4j.optim.Check.f32;

import dev.lookahead4j.backend.RuleKind;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam, AdamW (decoupled weight decay) and AMSGrad, as PyTorch's {@code torch.optim.Adam}/{@code AdamW}.
 * <pre>
 *   Adam (L2):   g = g + wd*p                         AdamW: p = p*(1 - lr*wd) first
 *   m = beta1*m + (1-beta1)*g;   v = beta2*v + (1-beta2)*g*g
 *   amsgrad: vmax = max(vmax, v) (of the raw v), used in place of v
 *   p = p - (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps)       bc_i = 1 - beta_i^t
 * </pre>
 * eps is added to sqrt(v_hat), as in PyTorch and optax; TensorFlow/Keras use the "epsilon hat" form
 * {@code lr*sqrt(bc2)/bc1 * m/(sqrt(v)+eps)}, which differs while v is small. optax's AdamW multiplies
 * the decay by lr too, as here; Keras' AdamW likewise.
 */
public record Adam(double lr, double beta1, double beta2, double eps, double weightDecay,
                   WeightDecayMode weightDecayMode, boolean amsgrad, boolean maximize) implements InnerOptimizer {

    /** How weight decay enters: added to the gradient (Adam) or applied to the weights (AdamW). */
    public enum WeightDecayMode { L2, DECOUPLED }

    public Adam {
        Check.lr(lr);
        Check.beta(0, beta1);
        Check.beta(1, beta2);
        Check.eps(eps);
        Check.weightDecay(weightDecay);
        if (weightDecayMode == null) throw new IllegalArgumentException("Invalid weightDecayMode: null (must be L2 or DECOUPLED)");
    }

    /** Adam with PyTorch's defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8, no decay). */
    public static Builder builder() { return new Builder(WeightDecayMode.L2, 0.0); }

    /** AdamW with PyTorch's defaults (as Adam, weight decay 0.01 decoupled). */
    public static Builder adamWBuilder() { return new Builder(WeightDecayMode.DECOUPLED, 0.01); }

    public Builder toBuilder() {
        return new Builder(weightDecayMode, weightDecay).lr(lr).betas(beta1, beta2).eps(eps)
                .amsgrad(amsgrad).maximize(maximize);
    }

    @Override public RuleKind kind() { return RuleKind.ADAM; }
    @Override public String typeName() { return weightDecayMode == WeightDecayMode.DECOUPLED ? "adamw" : "adam"; }
    @Override public boolean hasFirstMoment() { return true; }
    @Override public String[] stateNames() { return new String[] {"exp_avg", "exp_avg_sq", amsgrad ? "max_exp_avg_sq" : null}; }

    @Override
    public int scalars(long t, double lr, double weightDecay, double[] hostState, Powers powers, float[] out) {
        double bc1 = 1 - powers.pow(beta1, t);
        double bc2 = 1 - powers.pow(beta2, t);
        out[0] = f32(weightDecay);
        out[1] = f32(1 - lr * weightDecay);
        out[2] = f32(beta1);
        out[3] = f32(1 - beta1);
        out[4] = f32(beta2);
        out[5] = f32(1 - beta2);
        out[6] = f32(Math.sqrt(bc2));
        out[7] = f32(eps);
        out[8] = f32(-(lr / bc1));
        int f = 0;
        if (maximize) f |= RuleKind.F_MAXIMIZE;
        if (weightDecayMode == WeightDecayMode.DECOUPLED) f |= RuleKind.F_DECOUPLED;
        else if (weightDecay != 0) f |= RuleKind.F_WEIGHT_DECAY;
        if (amsgrad) f |= RuleKind.F_AMSGRAD;
        return f;
    }

    @Override
    public Adam withLrAndWeightDecay(double lr, double weightDecay) {
        return new Adam(lr, beta1, beta2, eps, weightDecay, weightDecayMode, amsgrad, maximize);
    }

    @Override
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", typeName());
        m.put("lr", lr);
        m.put("betas", new double[] {beta1, beta2});
        m.put("eps", eps);
        m.put("weight_decay", weightDecay);
        m.put("amsgrad", amsgrad);
        m.put("maximize", maximize);
        return m;
    }

    /** Holds the only copy of Adam's and AdamW's defaults. */
    public static final class Builder {
        private double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay;
        private final WeightDecayMode mode;
        private boolean amsgrad, maximize;

        private Builder(WeightDecayMode mode, double weightDecay) {
            this.mode = mode;
            this.weightDecay = weightDecay;
        }

        public Builder lr(double v) { lr = v; return this; }
        public Builder betas(double b1, double b2) { beta1 = b1; beta2 = b2; return this; }
        public Builder eps(double v) { eps = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder amsgrad(boolean v) { amsgrad = v; return this; }
        public Builder maximize(boolean v) { maximize = v; return this; }
        public Adam build() { return new Adam(lr, beta1, beta2, eps, weightDecay, mode, amsgrad, maximize); }
    }
}
