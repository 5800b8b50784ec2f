// rules.cuh — the per-element math of every inner rule and of the Lookahead sync.
//
// This is the twin of src/main/java/dev/lookahead4j/cpu/CpuKernels.java: each function below reads
// line for line like the Java loop body of the same name (same variable names, same order of
// operations). fmaf() appears exactly where the Java writes Math.fma(); everything else is a separate
// IEEE float operation in the written order. Build flags keep it that way:
//   nvcc: -fmad=false (no FMA contraction), -prec-div=true -prec-sqrt=true -ftz=false, no fast math
//   host: g++ -ffp-contract=off (native/host), x86-64 SSE arithmetic
// so the GPU kernels, the host build and the Java backend agree bit for bit.
//
// The kernel ABI (scalar slots, flag bits, pullback codes, which state buffer is which) is documented
// once, in src/main/java/dev/lookahead4j/backend/RuleKind.java; the constants below mirror it.
//
// One difference of shape, not of result: here each rule function ends with the Lookahead sync of its
// element (if (sync) ...); the Java runs the sync as a separate loop (CpuKernels.syncOnly) over each
// tile right after the rule's loop, so that its rule loops vectorise. Per element: rule, then sync, the
// same operations on both sides (HostKernelMathTest checks it with sync on and off).
//
// Each rule function works on one element. Where the Java indexes an array (p[i], m[i], slow[i]),
// the function takes a reference to that element's value (p, m, slow); the caller loads and stores
// (see la_step_element below and the vector path in step.cu).
#ifndef LOOKAHEAD4J_RULES_CUH
#define LOOKAHEAD4J_RULES_CUH

#ifdef __CUDACC__
#define LA_HD __host__ __device__ __forceinline__
#else
#include <math.h>
#include <cstring>
#define LA_HD inline
#endif

// ---------------------------------------------------------------- the ABI (RuleKind.java)
enum {
    LA_RULE_SGD = 0, LA_RULE_ADAM = 1, LA_RULE_RMSPROP = 2, LA_RULE_ADAGRAD = 3, LA_RULE_RADAM = 4, LA_RULE_NADAM = 5
};
enum {
    LA_F_MAXIMIZE = 1, LA_F_WEIGHT_DECAY = 2, LA_F_DECOUPLED = 4, LA_F_NESTEROV = 8, LA_F_MOMENTUM = 16,
    LA_F_FIRST_STEP = 32, LA_F_AMSGRAD = 64, LA_F_CENTERED = 128, LA_F_RECTIFY = 256
};
enum { LA_PULLBACK_NONE = 0, LA_PULLBACK_RESET = 1, LA_PULLBACK_PULLBACK = 2 };

#define LA_MAX_SCALARS 12

// The per-launch arguments, passed by value. Java builds it as 17 ints (floats as raw bits) in
// dev.lookahead4j.cuda.CudaStep; keep the two in the same order.
struct LaStepArgs {
    float s[LA_MAX_SCALARS];  // the rule's scalars (RuleKind layout)
    int flags;                // LA_F_* bits
    int sync;                 // this step ends with a Lookahead sync
    float alpha;              // f32(alpha)
    float one_minus_alpha;    // f32(1 - alpha)
    int pullback;             // LA_PULLBACK_*
};

// fmaf and sqrtf on both sides: CUDA's device functions (fmaf is one fma.rn; sqrtf is sqrt.rn with
// -prec-sqrt=true) and the C library's correctly rounded ones on the host.

LA_HD unsigned la_float_bits(float x) {
#ifdef __CUDA_ARCH__
    return __float_as_uint(x);
#else
    unsigned u;
    std::memcpy(&u, &x, sizeof u);
    return u;
#endif
}

// Java's Math.max(float, float), exactly: NaN if either argument is NaN (fmaxf would return the
// other one), and +0 beats -0.
LA_HD float la_java_max(float a, float b) {
    if (a != a) return a;
    if (a == 0.0f && b == 0.0f && (la_float_bits(a) >> 31) != 0u) return b;
    return (a >= b) ? a : b;
}

// ---------------------------------------------------------------- Lookahead sync, shared
//   phi   = fma(alpha, theta - phi, phi)        torch: phi.add_(theta - phi, alpha=alpha)
//   theta = phi
// The sync of one element: writes phi' to slow and returns it as the new theta.
LA_HD float syncSlow(float& slow, float theta, float alpha) {
    float phi = slow;
    phi = fmaf(alpha, theta - phi, phi);
    slow = phi;
    return phi;
}

//   reset:    m = 0
//   pullback: m = fma(1 - alpha, c, m * alpha);  c = m     torch: m.mul_(alpha).add_(c, alpha=1-alpha)
// The pullback policy on the first-moment value m of one element; returns the new m.
LA_HD float pullbackMoment(float& cache, float m, float alpha, float oneMinusAlpha, int pullback) {
    if (pullback == LA_PULLBACK_RESET) {
        m = 0.0f;
    } else if (pullback == LA_PULLBACK_PULLBACK) {
        m = fmaf(oneMinusAlpha, cache, m * alpha);
        cache = m;
    }
    return m;
}

// The forced sync alone on one element; hasM is false where there is no first moment.
LA_HD void syncOnly(float& p, bool hasM, float& m, float& slow, float& cache,
                    float alpha, float oneMinusAlpha, int pullback) {
    p = syncSlow(slow, p, alpha);
    if (hasM) m = pullbackMoment(cache, m, alpha, oneMinusAlpha, pullback);
}

// ---------------------------------------------------------------- SGD
//   d = g (negated if maximize);  if wd: d = fma(wd, p, d)
//   if momentum: buf = first ? d : fma(1 - dampening, d, buf * momentum)
//                d = nesterov ? fma(momentum, buf, d) : buf
//   p = fma(-lr, d, p)
LA_HD void sgd(float& p, float g, float& buf, float& slow, float& cache,
               const float* s, int f, bool sync, float alpha, float oneMinusAlpha, int pullback) {
    const float negLr = s[0], momentum = s[1], oneMinusDampening = s[2], weightDecay = s[3];
    const bool maximize = (f & LA_F_MAXIMIZE) != 0, decay = (f & LA_F_WEIGHT_DECAY) != 0;
    const bool hasMomentum = (f & LA_F_MOMENTUM) != 0, first = (f & LA_F_FIRST_STEP) != 0;
    const bool nesterov = (f & LA_F_NESTEROV) != 0;
    {
        float pi = p;
        float d = maximize ? -g : g;
        if (decay) d = fmaf(weightDecay, pi, d);
        float b = 0.0f;
        if (hasMomentum) {
            b = first ? d : fmaf(oneMinusDampening, d, buf * momentum);
            d = nesterov ? fmaf(momentum, b, d) : b;
        }
        pi = fmaf(negLr, d, pi);
        if (sync) {
            pi = syncSlow(slow, pi, alpha);
            if (hasMomentum) b = pullbackMoment(cache, b, alpha, oneMinusAlpha, pullback);
        }
        p = pi;
        if (hasMomentum) buf = b;
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
LA_HD void adam(float& p, float g, float& m, float& v, float& vmax, float& slow, float& cache,
                const float* s, int f, bool sync, float alpha, float oneMinusAlpha, int pullback) {
    const float weightDecay = s[0], decayFactor = s[1], beta1 = s[2], oneMinusBeta1 = s[3];
    const float beta2 = s[4], oneMinusBeta2 = s[5], bc2Sqrt = s[6], eps = s[7], negStepSize = s[8];
    const bool maximize = (f & LA_F_MAXIMIZE) != 0, decay = (f & LA_F_WEIGHT_DECAY) != 0;
    const bool decoupled = (f & LA_F_DECOUPLED) != 0, amsgrad = (f & LA_F_AMSGRAD) != 0;
    {
        float pi = p;
        float gi = maximize ? -g : g;
        if (decoupled) pi = pi * decayFactor;
        if (decay) gi = fmaf(weightDecay, pi, gi);
        float mi = fmaf(oneMinusBeta1, gi, m * beta1);
        float vi = fmaf(oneMinusBeta2 * gi, gi, v * beta2);
        v = vi;
        if (amsgrad) {
            vi = la_java_max(vmax, vi);
            vmax = vi;
        }
        float denom = sqrtf(vi) / bc2Sqrt + eps;
        pi = pi + (negStepSize * mi) / denom;
        if (sync) {
            pi = syncSlow(slow, pi, alpha);
            mi = pullbackMoment(cache, mi, alpha, oneMinusAlpha, pullback);
        }
        p = pi;
        m = mi;
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
LA_HD void rmsprop(float& p, float g, float& buf, float& sq, float& ga, float& slow, float& cache,
                   const float* s, int f, bool sync, float alpha, float oneMinusAlpha, int pullback) {
    const float weightDecay = s[0], rho = s[1], oneMinusRho = s[2], eps = s[3], momentum = s[4], negLr = s[5];
    const bool maximize = (f & LA_F_MAXIMIZE) != 0, decay = (f & LA_F_WEIGHT_DECAY) != 0;
    const bool centered = (f & LA_F_CENTERED) != 0, hasMomentum = (f & LA_F_MOMENTUM) != 0;
    {
        float pi = p;
        float gi = maximize ? -g : g;
        if (decay) gi = fmaf(weightDecay, pi, gi);
        float sqi = fmaf(oneMinusRho * gi, gi, sq * rho);
        sq = sqi;
        float avg;
        if (centered) {
            float gai = fmaf(oneMinusRho, gi, ga * rho);
            ga = gai;
            avg = sqrtf(fmaf(-gai, gai, sqi));
        } else {
            avg = sqrtf(sqi);
        }
        avg = avg + eps;
        float b = 0.0f;
        if (hasMomentum) {
            b = buf * momentum + gi / avg;
            pi = fmaf(negLr, b, pi);
        } else {
            pi = pi + (negLr * gi) / avg;
        }
        if (sync) {
            pi = syncSlow(slow, pi, alpha);
            if (hasMomentum) b = pullbackMoment(cache, b, alpha, oneMinusAlpha, pullback);
        }
        p = pi;
        if (hasMomentum) buf = b;
    }
}

// ---------------------------------------------------------------- Adagrad
//   g = maximize ? -g : g;  if wd: g = fma(wd, p, g)
//   sum = fma(g, g, sum)
//   p = p + (neg_clr * g) / (sqrt(sum) + eps)
//   (no first moment: the pullback policies are no-ops)
LA_HD void adagrad(float& p, float g, float& sum, float& slow,
                   const float* s, int f, bool sync, float alpha) {
    const float weightDecay = s[0], negClr = s[1], eps = s[2];
    const bool maximize = (f & LA_F_MAXIMIZE) != 0, decay = (f & LA_F_WEIGHT_DECAY) != 0;
    {
        float pi = p;
        float gi = maximize ? -g : g;
        if (decay) gi = fmaf(weightDecay, pi, gi);
        float sumi = fmaf(gi, gi, sum);
        sum = sumi;
        float std_ = sqrtf(sumi) + eps;  // Java: std
        pi = pi + (negClr * gi) / std_;
        if (sync) pi = syncSlow(slow, pi, alpha);
        p = pi;
    }
}

// ---------------------------------------------------------------- RAdam
//   g = maximize ? -g : g;  if wd: g = fma(wd, p, g)
//   m, v as Adam;  m_hat = m / bc1
//   rectify (rho_t > 5): a = (1 / (sqrt(v) + eps)) * bc2_sqrt;  p = p - ((m_hat * lr) * a) * rect
//   else:                p = p - m_hat * lr
LA_HD void radam(float& p, float g, float& m, float& v, float& slow, float& cache,
                 const float* s, int f, bool sync, float alpha, float oneMinusAlpha, int pullback) {
    const float weightDecay = s[0], beta1 = s[1], oneMinusBeta1 = s[2], beta2 = s[3], oneMinusBeta2 = s[4];
    const float bc1 = s[5], lr = s[6], eps = s[7], bc2Sqrt = s[8], rect = s[9];
    const bool maximize = (f & LA_F_MAXIMIZE) != 0, decay = (f & LA_F_WEIGHT_DECAY) != 0;
    const bool rectify = (f & LA_F_RECTIFY) != 0;
    {
        float pi = p;
        float gi = maximize ? -g : g;
        if (decay) gi = fmaf(weightDecay, pi, gi);
        float mi = fmaf(oneMinusBeta1, gi, m * beta1);
        float vi = fmaf(oneMinusBeta2 * gi, gi, v * beta2);
        v = vi;
        float mHat = mi / bc1;
        if (rectify) {
            float a = (1.0f / (sqrtf(vi) + eps)) * bc2Sqrt;
            pi = pi - ((mHat * lr) * a) * rect;
        } else {
            pi = pi - mHat * lr;
        }
        if (sync) {
            pi = syncSlow(slow, pi, alpha);
            mi = pullbackMoment(cache, mi, alpha, oneMinusAlpha, pullback);
        }
        p = pi;
        m = mi;
    }
}

// ---------------------------------------------------------------- NAdam
//   g = maximize ? -g : g;  if wd: g = fma(wd, p, g)
//   m, v as Adam
//   denom = sqrt(v) / bc2_sqrt + eps
//   p = p + (coef_grad * g) / denom
//   p = p + (coef_exp_avg * m) / denom
LA_HD void nadam(float& p, float g, float& m, float& v, float& slow, float& cache,
                 const float* s, int f, bool sync, float alpha, float oneMinusAlpha, int pullback) {
    const float weightDecay = s[0], beta1 = s[1], oneMinusBeta1 = s[2], beta2 = s[3], oneMinusBeta2 = s[4];
    const float bc2Sqrt = s[5], eps = s[6], coefGrad = s[7], coefExpAvg = s[8];
    const bool maximize = (f & LA_F_MAXIMIZE) != 0, decay = (f & LA_F_WEIGHT_DECAY) != 0;
    {
        float pi = p;
        float gi = maximize ? -g : g;
        if (decay) gi = fmaf(weightDecay, pi, gi);
        float mi = fmaf(oneMinusBeta1, gi, m * beta1);
        float vi = fmaf(oneMinusBeta2 * gi, gi, v * beta2);
        v = vi;
        float denom = sqrtf(vi) / bc2Sqrt + eps;
        pi = pi + (coefGrad * gi) / denom;
        pi = pi + (coefExpAvg * mi) / denom;
        if (sync) {
            pi = syncSlow(slow, pi, alpha);
            mi = pullbackMoment(cache, mi, alpha, oneMinusAlpha, pullback);
        }
        p = pi;
        m = mi;
    }
}

// ---------------------------------------------------------------- which buffers an element touches
// One place that says which state a rule reads and writes under which flags, used by the scalar and
// the vector paths of step.cu and by the host program. (CpuKernels reads exactly these.)
LA_HD bool la_uses_s0(int rule, int f) {
    return rule == LA_RULE_ADAM || rule == LA_RULE_RADAM || rule == LA_RULE_NADAM
        || ((rule == LA_RULE_SGD || rule == LA_RULE_RMSPROP) && (f & LA_F_MOMENTUM) != 0);
}
LA_HD bool la_uses_s1(int rule, int f) {
    (void) f;
    return rule != LA_RULE_SGD;
}
LA_HD bool la_uses_s2(int rule, int f) {
    return (rule == LA_RULE_ADAM && (f & LA_F_AMSGRAD) != 0) || (rule == LA_RULE_RMSPROP && (f & LA_F_CENTERED) != 0);
}
// The pullback cache is read and written only on sync steps, with PULLBACK, by rules with a first moment.
LA_HD bool la_uses_cache(int rule, const LaStepArgs& a) {
    return a.sync && a.pullback == LA_PULLBACK_PULLBACK && rule != LA_RULE_ADAGRAD && la_uses_s0(rule, a.flags);
}

// One element's values, loaded by the caller (only the buffers the rule uses; the rest stay 0).
struct LaElem {
    float p, g, s0, s1, s2, slow, cache;
};

// Applies rule RULE to one loaded element: the dispatch of CpuKernels.run.
template <int RULE>
LA_HD void la_apply(LaElem& e, const LaStepArgs& a) {
    const bool sync = a.sync != 0;
    if (RULE == LA_RULE_SGD) {
        sgd(e.p, e.g, e.s0, e.slow, e.cache, a.s, a.flags, sync, a.alpha, a.one_minus_alpha, a.pullback);
    } else if (RULE == LA_RULE_ADAM) {
        adam(e.p, e.g, e.s0, e.s1, e.s2, e.slow, e.cache, a.s, a.flags, sync, a.alpha, a.one_minus_alpha, a.pullback);
    } else if (RULE == LA_RULE_RMSPROP) {
        rmsprop(e.p, e.g, e.s0, e.s1, e.s2, e.slow, e.cache, a.s, a.flags, sync, a.alpha, a.one_minus_alpha, a.pullback);
    } else if (RULE == LA_RULE_ADAGRAD) {
        adagrad(e.p, e.g, e.s1, e.slow, a.s, a.flags, sync, a.alpha);
    } else if (RULE == LA_RULE_RADAM) {
        radam(e.p, e.g, e.s0, e.s1, e.slow, e.cache, a.s, a.flags, sync, a.alpha, a.one_minus_alpha, a.pullback);
    } else {
        nadam(e.p, e.g, e.s0, e.s1, e.slow, e.cache, a.s, a.flags, sync, a.alpha, a.one_minus_alpha, a.pullback);
    }
}

// The whole step of element i: load what the rule uses, apply, store what it wrote. This is the
// scalar path of the step kernels and the loop body of the host program.
template <int RULE>
LA_HD void la_step_element(long long i, float* p, const float* g, float* s0, float* s1, float* s2,
                           float* slow, float* cache, const LaStepArgs& a) {
    const bool u0 = la_uses_s0(RULE, a.flags), u1 = la_uses_s1(RULE, a.flags), u2 = la_uses_s2(RULE, a.flags);
    const bool uc = la_uses_cache(RULE, a);
    LaElem e = {p[i], g[i], 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    if (u0) e.s0 = s0[i];
    if (u1) e.s1 = s1[i];
    if (u2) e.s2 = s2[i];
    if (a.sync) e.slow = slow[i];
    if (uc) e.cache = cache[i];
    la_apply<RULE>(e, a);
    p[i] = e.p;
    if (u0) s0[i] = e.s0;
    if (u1) s1[i] = e.s1;
    if (u2) s2[i] = e.s2;
    if (a.sync) slow[i] = e.slow;
    if (uc) cache[i] = e.cache;
}

// The forced sync of element i; m (the first moment) may be null.
LA_HD void la_sync_element(long long i, float* p, float* m, float* slow, float* cache,
                           float alpha, float oneMinusAlpha, int pullback) {
    const bool hasM = m != 0;
    const bool uc = hasM && pullback == LA_PULLBACK_PULLBACK;
    float pv = p[i], mv = hasM ? m[i] : 0.0f, sv = slow[i], cv = uc ? cache[i] : 0.0f;
    syncOnly(pv, hasM, mv, sv, cv, alpha, oneMinusAlpha, pullback);
    p[i] = pv;
    if (hasM) m[i] = mv;
    slow[i] = sv;
    if (uc) cache[i] = cv;
}

#endif  // LOOKAHEAD4J_RULES_CUH
