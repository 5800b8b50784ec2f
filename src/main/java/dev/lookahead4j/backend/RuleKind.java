package dev.lookahead4j.backend;

/**
 * The inner rules the kernels know, with the kernel ABI shared by the Java CPU bodies
 * ({@code dev.lookahead4j.cpu.CpuKernels}), the CUDA kernels ({@code cuda-kernels/rules.cuh}) and the
 * host build ({@code native/host}). The numbers here are the ABI: change them on both sides at once.
 *
 * <pre>
 * rule     id  s0 (pullback target)  s1            s2               scalars
 * SGD      0   momentum_buffer       -             -                0 neg_lr, 1 momentum, 2 one_minus_dampening, 3 weight_decay
 * ADAM     1   exp_avg               exp_avg_sq    max_exp_avg_sq   0 weight_decay, 1 decay_factor (1-lr*wd), 2 beta1, 3 one_minus_beta1,
 *                                                                   4 beta2, 5 one_minus_beta2, 6 bc2_sqrt, 7 eps, 8 neg_step_size (-lr/bc1)
 * RMSPROP  2   momentum_buffer       square_avg    grad_avg         0 weight_decay, 1 rho, 2 one_minus_rho, 3 eps, 4 momentum, 5 neg_lr
 * ADAGRAD  3   -                     sum           -                0 weight_decay, 1 neg_clr, 2 eps
 * RADAM    4   exp_avg               exp_avg_sq    -                0 weight_decay, 1 beta1, 2 one_minus_beta1, 3 beta2, 4 one_minus_beta2,
 *                                                                   5 bc1, 6 lr, 7 eps, 8 bc2_sqrt, 9 rect
 * NADAM    5   exp_avg               exp_avg_sq    -                0 weight_decay, 1 beta1, 2 one_minus_beta1, 3 beta2, 4 one_minus_beta2,
 *                                                                   5 bc2_sqrt, 6 eps, 7 coef_grad, 8 coef_exp_avg
 * </pre>
 * Every scalar is a double evaluated on the host and rounded to float once.
 */
public enum RuleKind {
    SGD(0), ADAM(1), RMSPROP(2), ADAGRAD(3), RADAM(4), NADAM(5);

    /** Negate the gradient first (maximize). */
    public static final int F_MAXIMIZE = 1;
    /** Coupled (L2) weight decay: g = fma(wd, p, g). */
    public static final int F_WEIGHT_DECAY = 2;
    /** Decoupled weight decay (AdamW): p = p * decay_factor before the update. */
    public static final int F_DECOUPLED = 4;
    /** SGD: Nesterov momentum. */
    public static final int F_NESTEROV = 8;
    /** SGD / RMSprop: momentum is on (the s0 buffer exists). */
    public static final int F_MOMENTUM = 16;
    /** SGD: first step, the momentum buffer is initialised as a copy of d. */
    public static final int F_FIRST_STEP = 32;
    /** Adam: AMSGrad (s2 holds the running max of v). */
    public static final int F_AMSGRAD = 64;
    /** RMSprop: centered (s2 holds the gradient average). */
    public static final int F_CENTERED = 128;
    /** RAdam: rho_t &gt; 5 this step, use the rectified adaptive update. */
    public static final int F_RECTIFY = 256;

    public static final int PULLBACK_NONE = 0;
    public static final int PULLBACK_RESET = 1;
    public static final int PULLBACK_PULLBACK = 2;

    /** Kernel id. */
    public final int id;

    RuleKind(int id) { this.id = id; }
}
