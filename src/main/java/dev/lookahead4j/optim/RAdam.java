package dev.lookahead4j.optim;

import static dev.lookahead4j.optim.Check.f32;

import dev.lookahead4j.backend.RuleKind;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * RAdam as PyTorch's {@code torch.optim.RAdam} (1.13).
 * <pre>
 *   g = g + wd*p;  m, v as Adam;  m_hat = m / bc1
 *   rho_inf = 2/(1-beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / bc2        (double)
 *   rho_t &gt; 5: rect = sqrt((rho_t-4)(rho_t-2)rho_inf / ((rho_inf-4)(rho_inf-2)rho_t))
 *             p = p - m_hat*lr * (sqrt(bc2) / (sqrt(v) + eps)) * rect
 *   else:     p = p - m_hat*lr
 * </pre>
 * eps is added to sqrt(v), not to sqrt(v_hat) (PyTorch). optax's {@code radam} switches at
 * rho_t &gt;= 5 and adds eps to sqrt(v_hat); we follow PyTorch.
 */
public record RAdam(double lr, double beta1, double beta2, double eps, double weightDecay, boolean maximize)
        implements InnerOptimizer {

    public RAdam {
        Check.lr(lr);
        Check.beta(0, beta1);
        Check.beta(1, beta2);
        Check.eps(eps);
        Check.weightDecay(weightDecay);
    }

    /** RAdam with PyTorch's defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8). */
    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        return new Builder().lr(lr).betas(beta1, beta2).eps(eps).weightDecay(weightDecay).maximize(maximize);
    }

    @Override public RuleKind kind() { return RuleKind.RADAM; }
    @Override public String typeName() { return "radam"; }
    @Override public boolean hasFirstMoment() { return true; }
    @Override public String[] stateNames() { return new String[] {"exp_avg", "exp_avg_sq", null}; }

    @Override
    public int scalars(long t, double lr, double weightDecay, double[] hostState, Powers powers, float[] out) {
        double pow2 = powers.pow(beta2, t);
        double bc1 = 1 - powers.pow(beta1, t);
        double bc2 = 1 - pow2;
        double rhoInf = 2 / (1 - beta2) - 1;
        double rhoT = rhoInf - 2 * (double) t * pow2 / bc2;
        double rect = 0;
        int f = 0;
        if (rhoT > 5.0) {
            rect = Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
            f |= RuleKind.F_RECTIFY;
        }
        out[0] = f32(weightDecay);
        out[1] = f32(beta1);
        out[2] = f32(1 - beta1);
        out[3] = f32(beta2);
        out[4] = f32(1 - beta2);
        out[5] = f32(bc1);
        out[6] = f32(lr);
        out[7] = f32(eps);
        out[8] = f32(Math.sqrt(bc2));
        out[9] = f32(rect);
        if (maximize) f |= RuleKind.F_MAXIMIZE;
        if (weightDecay != 0) f |= RuleKind.F_WEIGHT_DECAY;
        return f;
    }

    @Override
    public RAdam withLrAndWeightDecay(double lr, double weightDecay) {
        return new RAdam(lr, beta1, beta2, eps, weightDecay, maximize);
    }

    @Override
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "radam");
        m.put("lr", lr);
        m.put("betas", new double[] {beta1, beta2});
        m.put("eps", eps);
        m.put("weight_decay", weightDecay);
        m.put("maximize", maximize);
        return m;
    }

    /** Holds the only copy of RAdam's defaults. */
    public static final class Builder {
        private double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0;
        private boolean maximize;

        public Builder lr(double v) { lr = v; return this; }
        public Builder betas(double b1, double b2) { beta1 = b1; beta2 = b2; return this; }
        public Builder eps(double v) { eps = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder maximize(boolean v) { maximize = v; return this; }
        public RAdam build() { return new RAdam(lr, beta1, beta2, eps, weightDecay, maximize); }
    }
}
