package dev.lookahead4j.optim;

import static dev.lookahead4j.optim.Check.f32;

import dev.lookahead4j.backend.RuleKind;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * NAdam as PyTorch's documented formula (torch 1.13 {@code foreach=True}, torch &gt;= 2.0).
 * <pre>
 *   mu_t = beta1 (1 - 0.5 * 0.96^(t psi));  mu_{t+1} likewise;  mu_prod = mu_prod * mu_t  (float32)
 *   g = g + wd*p;  m, v as Adam;  denom = sqrt(v)/sqrt(bc2) + eps
 *   p = p - lr (1-mu_t)/(1-mu_prod) * g / denom
 *   p = p - lr mu_{t+1}/(1-mu_prod mu_{t+1}) * m / denom
 * </pre>
 * Torch 1.13's {@code foreach=False} path counts mu_t twice in the second coefficient (fixed in
 * pytorch#92699); we do not reproduce that. Keras' Nadam uses the same schedule; optax's {@code nadam}
 * has no momentum-decay schedule.
 */
public record NAdam(double lr, double beta1, double beta2, double eps, double weightDecay, double momentumDecay,
                    boolean maximize) implements InnerOptimizer {

    public NAdam {
        Check.lr(lr);
        Check.beta(0, beta1);
        Check.beta(1, beta2);
        Check.eps(eps);
        Check.weightDecay(weightDecay);
        Check.nonNegative("momentum_decay value", momentumDecay);
    }

    /** NAdam with PyTorch's defaults (lr 2e-3, betas (0.9, 0.999), eps 1e-8, momentum_decay 4e-3). */
    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        return new Builder().lr(lr).betas(beta1, beta2).eps(eps).weightDecay(weightDecay)
                .momentumDecay(momentumDecay).maximize(maximize);
    }

    @Override public RuleKind kind() { return RuleKind.NADAM; }
    @Override public String typeName() { return "nadam"; }
    @Override public boolean hasFirstMoment() { return true; }
    @Override public String[] stateNames() { return new String[] {"exp_avg", "exp_avg_sq", null}; }
    @Override public int hostStateSize() { return 1; }
    @Override public void initHostState(double[] state) { state[0] = 1.0; }

    private double mu(long t, Powers powers) {
        return beta1 * (1. - 0.5 * powers.pow(0.96, momentumDecay, t));
    }

    /** mu_prod = f32(mu_prod * f32(mu_t)): PyTorch keeps the product in a float32 tensor. */
    @Override
    public void advanceHostState(long t, double[] state, Powers powers) {
        state[0] = (float) state[0] * f32(mu(t, powers));
    }

    @Override
    public int scalars(long t, double lr, double weightDecay, double[] hostState, Powers powers, float[] out) {
        double bc2 = 1 - powers.pow(beta2, t);
        double mu = mu(t, powers), muNext = mu(t + 1, powers);
        double muProduct = hostState[0];
        out[0] = f32(weightDecay);
        out[1] = f32(beta1);
        out[2] = f32(1 - beta1);
        out[3] = f32(beta2);
        out[4] = f32(1 - beta2);
        out[5] = f32(Math.sqrt(bc2));
        out[6] = f32(eps);
        out[7] = f32((lr * (1. - mu) / (1. - muProduct)) * -1);
        out[8] = f32((lr * muNext / (1. - muProduct * muNext)) * -1);
        int f = 0;
        if (maximize) f |= RuleKind.F_MAXIMIZE;
        if (weightDecay != 0) f |= RuleKind.F_WEIGHT_DECAY;
        return f;
    }

    @Override
    public NAdam withLrAndWeightDecay(double lr, double weightDecay) {
        return new NAdam(lr, beta1, beta2, eps, weightDecay, momentumDecay, maximize);
    }

    @Override
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "nadam");
        m.put("lr", lr);
        m.put("betas", new double[] {beta1, beta2});
        m.put("eps", eps);
        m.put("weight_decay", weightDecay);
        m.put("momentum_decay", momentumDecay);
        m.put("maximize", maximize);
        return m;
    }

    /** Holds the only copy of NAdam's defaults. */
    public static final class Builder {
        private double lr = 2e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, momentumDecay = 4e-3;
        private boolean maximize;

        public Builder lr(double v) { lr = v; return this; }
        public Builder betas(double b1, double b2) { beta1 = b1; beta2 = b2; return this; }
        public Builder eps(double v) { eps = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder momentumDecay(double v) { momentumDecay = v; return this; }
        public Builder maximize(boolean v) { maximize = v; return this; }
        public NAdam build() { return new NAdam(lr, beta1, beta2, eps, weightDecay, momentumDecay, maximize); }
    }
}
