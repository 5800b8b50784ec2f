package dev.lookahead4j.cpu;

import static dev.lookahead4j.backend.RuleKind.F_AMSGRAD;
import static dev.lookahead4j.backend.RuleKind.F_CENTERED;
import static dev.lookahead4j.backend.RuleKind.F_DECOUPLED;
import static dev.lookahead4j.backend.RuleKind.F_FIRST_STEP;
import static dev.lookahead4j.backend.RuleKind.F_MAXIMIZE;
import static dev.lookahead4j.backend.RuleKind.F_MOMENTUM;
import static dev.lookahead4j.backend.RuleKind.F_NESTEROV;
import static dev.lookahead4j.backend.RuleKind.F_RECTIFY;
import static dev.lookahead4j.backend.RuleKind.F_WEIGHT_DECAY;
import static dev.lookahead4j.backend.RuleKind.PULLBACK_PULLBACK;
import static dev.lookahead4j.backend.RuleKind.PULLBACK_RESET;

import dev.lookahead4j.backend.RuleKind;

/**
 * The per-element math of every rule: the reference implementation. Each loop body reads line for
 * line like its twin in {@code cuda-kernels/rules.cuh}: same names, same order of operations,
 * {@code Math.fma} exactly where the reference formulas (shared/reference README §2) write {@code fma}
 * and where the CUDA code writes {@code fmaf}. Java never contracts a*b+c on its own, so everything
 * else is separate IEEE float operations in the written order.
 *
 * <p>One difference of shape, not of result: in {@code rules.cuh} each rule's element function ends with
 * the Lookahead sync of that element ({@code if (sync) ...}); here the sync is a separate loop
 * ({@link #syncOnly}) run over each tile right after the rule's loop, so that the rule loops stay free of
 * it and vectorise. Every element still gets the rule, then the sync, with the same operations.
 *
 * <p>Arguments: the element range {@code [from, to)}, the buffers (see {@link RuleKind} for the
 * slots), the rule's float scalars {@code s} and flag bits {@code f}, and the Lookahead sync:
 * {@code sync} (this step syncs), {@code alpha}, {@code oneMinusAlpha}, {@code pullback} policy.
 */
public final class CpuKernels {
    private CpuKernels() { }

    /** Elements per tile: a tile's inner step and its sync run back to back while the tile is in cache. */
    static final int TILE = 8192;

    /**
     * One range of one group: the inner rule, and on sync steps the Lookahead sync of the same elements.
     * The range is walked in tiles of {@link #TILE} elements; each tile gets the rule, then (on sync steps)
     * the sync while its values are still in cache, so memory is traversed once. Per element this is exactly
     * "rule, then sync", as in the CUDA kernels; keeping the two loops apart lets the JIT vectorise the rule
     * loop.
     */
    public static void run(RuleKind rule, int from, int to, float[] p, float[] g, float[] s0, float[] s1,
                           float[] s2, float[] slow, float[] cache, float[] s, int f,
                           boolean sync, float alpha, float oneMinusAlpha, int pullback) {
        // the first-moment buffer the pullback policies act on; rules without one leave s0 alone
        final float[] m = hasFirstMoment(rule, f) ? s0 : null;
        // without a sync, one loop over the whole range (no per-tile loop start-up)
        final int tile = sync ? TILE : to - from;
        for (int a = from; a < to; a += tile) {
            int b = Math.min(to, a + tile);
            switch (rule) {
                case SGD -> sgd(a, b, p, g, s0, s, f);
                case ADAM -> adam(a, b, p, g, s0, s1, s2, s, f);
                case RMSPROP -> rmsprop(a, b, p, g, s0, s1, s2, s, f);
                case ADAGRAD -> adagrad(a, b, p, g, s1, s, f);
                case RADAM -> radam(a, b, p, g, s0, s1, s, f);
                case NADAM -> nadam(a, b, p, g, s0, s1, s, f);
                default -> throw new IllegalArgumentException("unknown rule " + rule);
            }
            if (sync) syncOnly(a, b, p, m, slow, cache, alpha, oneMinusAlpha, pullback);
        }
    }

    /** True when the rule keeps a first moment in s0: Adam-family always, SGD and RMSprop with momentum. */
    static boolean hasFirstMoment(RuleKind rule, int f) {
        return switch (rule) {
            case ADAM, RADAM, NADAM -> true;
            case SGD, RMSPROP -> (f & F_MOMENTUM) != 0;
            case ADAGRAD -> false;
        };
    }

    // ---------------------------------------------------------------- Lookahead sync
    //   phi   = fma(alpha, theta - phi, phi)        torch: phi.add_(theta - phi, alpha=alpha)
    //   theta = phi
    //   reset:    m = 0
    //   pullback: m = fma(1 - alpha, c, m * alpha);  c = m     torch: m.mul_(alpha).add_(c, alpha=1-alpha)
    /**
     * The Lookahead sync over {@code [from, to)} (also the forced sync); {@code m} is the first-moment buffer
     * or null. Two simple loops (the phi/theta update, then the pullback policy) so that both vectorise;
     * the policies only touch m and c, so the order of the two loops does not matter.
     */
    public static void syncOnly(int from, int to, float[] p, float[] m, float[] slow, float[] cache,
                                float alpha, float oneMinusAlpha, int pullback) {
        for (int i = from; i < to; i++) {
            float phi = slow[i];
            phi = Math.fma(alpha, p[i] - phi, phi);
            slow[i] = phi;
            p[i] = phi;
        }
        if (m == null) return;
        if (pullback == PULLBACK_RESET) {
            for (int i = from; i < to; i++) m[i] = 0.0f;
        } else if (pullback == PULLBACK_PULLBACK) {
            for (int i = from; i < to; i++) {
                float mi = Math.fma(oneMinusAlpha, cache[i], m[i] * alpha);
                m[i] = mi;
                cache[i] = mi;
            }
        }
    }

    // ---------------------------------------------------------------- SGD
    //   d = g (negated if maximize);  if wd: d = fma(wd, p, d)
    //   if momentum: buf = first ? d : fma(1 - dampening, d, buf * momentum)
    //                d = nesterov ? fma(momentum, buf, d) : buf
    //   p = fma(-lr, d, p)
    static void sgd(int from, int to, float[] p, float[] g, float[] buf, float[] s, int f) {
        final float negLr = s[0], momentum = s[1], oneMinusDampening = s[2], weightDecay = s[3];
        final boolean maximize = (f & F_MAXIMIZE) != 0, decay = (f & F_WEIGHT_DECAY) != 0;
        final boolean hasMomentum = (f & F_MOMENTUM) != 0, first = (f & F_FIRST_STEP) != 0;
        final boolean nesterov = (f & F_NESTEROV) != 0;
        for (int i = from; i < to; i++) {
            float pi = p[i];
            float d = maximize ? -g[i] : g[i];
            if (decay) d = Math.fma(weightDecay, pi, d);
            float b = 0.0f;
            if (hasMomentum) {
                b = first ? d : Math.fma(oneMinusDampening, d, buf[i] * momentum);
                d = nesterov ? Math.fma(momentum, b, d) : b;
            }
            pi = Math.fma(negLr, d, pi);
            p[i] = pi;
            if (hasMomentum) buf[i] = b;
        }
    }

    // ---------------------------------------------------------------- Adam / AdamW / AMSGrad
    //   g = maximize ? -g : g
    //   if decoupled: p = p * (1 - lr*wd)          (AdamW, before everything else)
    //   if wd (L2):   g = fma(wd, p, g)
    //   m = fma(1 - beta1, g, m * beta1)
    //   v = fma((1 - beta2) * g, g, v * beta2)
    //   if amsgrad: vmax = max(vmax, v); v_used = vmax
    //   denom = sqrt(v_used) / bc2_sqrt + eps
    //   p = p + (neg_step_size * m) / denom
    static void adam(int from, int to, float[] p, float[] g, float[] m, float[] v, float[] vmax,
                     float[] s, int f) {
        final float weightDecay = s[0], decayFactor = s[1], beta1 = s[2], oneMinusBeta1 = s[3];
        final float beta2 = s[4], oneMinusBeta2 = s[5], bc2Sqrt = s[6], eps = s[7], negStepSize = s[8];
        final boolean maximize = (f & F_MAXIMIZE) != 0, decay = (f & F_WEIGHT_DECAY) != 0;
        final boolean decoupled = (f & F_DECOUPLED) != 0, amsgrad = (f & F_AMSGRAD) != 0;
        for (int i = from; i < to; i++) {
            float pi = p[i];
            float gi = maximize ? -g[i] : g[i];
            if (decoupled) pi = pi * decayFactor;
            if (decay) gi = Math.fma(weightDecay, pi, gi);
            float mi = Math.fma(oneMinusBeta1, gi, m[i] * beta1);
            float vi = Math.fma(oneMinusBeta2 * gi, gi, v[i] * beta2);
            v[i] = vi;
            if (amsgrad) {
                vi = Math.max(vmax[i], vi);
                vmax[i] = vi;
            }
            float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
            pi = pi + (negStepSize * mi) / denom;
            p[i] = pi;
            m[i] = mi;
        }
    }

    // ---------------------------------------------------------------- RMSprop
    //   g = maximize ? -g : g;  if wd: g = fma(wd, p, g)
    //   sq = fma((1 - rho) * g, g, sq * rho)
    //   centered: ga = fma(1 - rho, g, ga * rho);  avg = sqrt(fma(-ga, ga, sq))
    //   else:     avg = sqrt(sq)
    //   avg = avg + eps
    //   momentum: buf = buf * momentum + g / avg;  p = fma(-lr, buf, p)
    //   else:     p = p + (-lr * g) / avg
    static void rmsprop(int from, int to, float[] p, float[] g, float[] buf, float[] sq, float[] ga,
                        float[] s, int f) {
        final float weightDecay = s[0], rho = s[1], oneMinusRho = s[2], eps = s[3], momentum = s[4], negLr = s[5];
        final boolean maximize = (f & F_MAXIMIZE) != 0, decay = (f & F_WEIGHT_DECAY) != 0;
        final boolean centered = (f & F_CENTERED) != 0, hasMomentum = (f & F_MOMENTUM) != 0;
        for (int i = from; i < to; i++) {
            float pi = p[i];
            float gi = maximize ? -g[i] : g[i];
            if (decay) gi = Math.fma(weightDecay, pi, gi);
            float sqi = Math.fma(oneMinusRho * gi, gi, sq[i] * rho);
            sq[i] = sqi;
            float avg;
            if (centered) {
                float gai = Math.fma(oneMinusRho, gi, ga[i] * rho);
                ga[i] = gai;
                avg = (float) Math.sqrt(Math.fma(-gai, gai, sqi));
            } else {
                avg = (float) Math.sqrt(sqi);
            }
            avg = avg + eps;
            float b = 0.0f;
            if (hasMomentum) {
                b = buf[i] * momentum + gi / avg;
                pi = Math.fma(negLr, b, pi);
            } else {
                pi = pi + (negLr * gi) / avg;
            }
            p[i] = pi;
            if (hasMomentum) buf[i] = b;
        }
    }

    // ---------------------------------------------------------------- Adagrad
    //   g = maximize ? -g : g;  if wd: g = fma(wd, p, g)
    //   sum = fma(g, g, sum)
    //   p = p + (neg_clr * g) / (sqrt(sum) + eps)
    //   (no first moment: the pullback policies are no-ops)
    static void adagrad(int from, int to, float[] p, float[] g, float[] sum,
                        float[] s, int f) {
        final float weightDecay = s[0], negClr = s[1], eps = s[2];
        final boolean maximize = (f & F_MAXIMIZE) != 0, decay = (f & F_WEIGHT_DECAY) != 0;
        for (int i = from; i < to; i++) {
            float pi = p[i];
            float gi = maximize ? -g[i] : g[i];
            if (decay) gi = Math.fma(weightDecay, pi, gi);
            float sumi = Math.fma(gi, gi, sum[i]);
            sum[i] = sumi;
            float std = (float) Math.sqrt(sumi) + eps;
            pi = pi + (negClr * gi) / std;
            p[i] = pi;
        }
    }

    // ---------------------------------------------------------------- RAdam
    //   g = maximize ? -g : g;  if wd: g = fma(wd, p, g)
    //   m, v as Adam;  m_hat = m / bc1
    //   rectify (rho_t > 5): a = (1 / (sqrt(v) + eps)) * bc2_sqrt;  p = p - ((m_hat * lr) * a) * rect
    //   else:                p = p - m_hat * lr
    static void radam(int from, int to, float[] p, float[] g, float[] m, float[] v,
                      float[] s, int f) {
        final float weightDecay = s[0], beta1 = s[1], oneMinusBeta1 = s[2], beta2 = s[3], oneMinusBeta2 = s[4];
        final float bc1 = s[5], lr = s[6], eps = s[7], bc2Sqrt = s[8], rect = s[9];
        final boolean maximize = (f & F_MAXIMIZE) != 0, decay = (f & F_WEIGHT_DECAY) != 0;
        final boolean rectify = (f & F_RECTIFY) != 0;
        for (int i = from; i < to; i++) {
            float pi = p[i];
            float gi = maximize ? -g[i] : g[i];
            if (decay) gi = Math.fma(weightDecay, pi, gi);
            float mi = Math.fma(oneMinusBeta1, gi, m[i] * beta1);
            float vi = Math.fma(oneMinusBeta2 * gi, gi, v[i] * beta2);
            v[i] = vi;
            float mHat = mi / bc1;
            if (rectify) {
                float a = (1.0f / ((float) Math.sqrt(vi) + eps)) * bc2Sqrt;
                pi = pi - ((mHat * lr) * a) * rect;
            } else {
                pi = pi - mHat * lr;
            }
            p[i] = pi;
            m[i] = mi;
        }
    }

    // ---------------------------------------------------------------- NAdam
    //   g = maximize ? -g : g;  if wd: g = fma(wd, p, g)
    //   m, v as Adam
    //   denom = sqrt(v) / bc2_sqrt + eps
    //   p = p + (coef_grad * g) / denom
    //   p = p + (coef_exp_avg * m) / denom
    static void nadam(int from, int to, float[] p, float[] g, float[] m, float[] v,
                      float[] s, int f) {
        final float weightDecay = s[0], beta1 = s[1], oneMinusBeta1 = s[2], beta2 = s[3], oneMinusBeta2 = s[4];
        final float bc2Sqrt = s[5], eps = s[6], coefGrad = s[7], coefExpAvg = s[8];
        final boolean maximize = (f & F_MAXIMIZE) != 0, decay = (f & F_WEIGHT_DECAY) != 0;
        for (int i = from; i < to; i++) {
            float pi = p[i];
            float gi = maximize ? -g[i] : g[i];
            if (decay) gi = Math.fma(weightDecay, pi, gi);
            float mi = Math.fma(oneMinusBeta1, gi, m[i] * beta1);
            float vi = Math.fma(oneMinusBeta2 * gi, gi, v[i] * beta2);
            v[i] = vi;
            float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
            pi = pi + (coefGrad * gi) / denom;
            pi = pi + (coefExpAvg * mi) / denom;
            p[i] = pi;
            m[i] = mi;
        }
    }
}
