package dev.lookahead4j;

/**
 * What a Lookahead sync does to the inner optimizer's first-moment buffer (SGD/RMSprop momentum,
 * Adam-family exp_avg). Rules without one (Adagrad, SGD or RMSprop without momentum) ignore it.
 */
public enum Pullback {
    /** Keep the buffer as it is (the paper's default, TF Addons, optax). */
    NONE,
    /** Zero the buffer in place at each sync; it keeps existing (SGD's next step uses (1-dampening)*d). */
    RESET,
    /** m = alpha*m + (1-alpha)*c, then c = m, with c a separate cached copy (starting at zero). */
    PULLBACK
}
