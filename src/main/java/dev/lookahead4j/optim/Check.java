package dev.lookahead4j.optim;

/** Argument checks shared by the configs. {@code !(x >= 0)} style so that NaN fails every check. */
public final class Check {
    private Check() { }

    public static double lr(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("Invalid learning rate: " + lr + " (must be finite and >= 0)");
        return lr;
    }

    public static double eps(double eps) {
        if (!(eps >= 0) || Double.isInfinite(eps)) throw new IllegalArgumentException("Invalid epsilon value: " + eps + " (must be finite and >= 0)");
        return eps;
    }

    public static double weightDecay(double wd) {
        if (!(wd >= 0) || Double.isInfinite(wd)) throw new IllegalArgumentException("Invalid weight_decay value: " + wd + " (must be finite and >= 0)");
        return wd;
    }

    /** A value in [0, 1). */
    public static double unitOpen(String what, double x) {
        if (!(x >= 0 && x < 1)) throw new IllegalArgumentException("Invalid " + what + ": " + x + " (must be in [0, 1))");
        return x;
    }

    /** A value in [0, 1]. */
    public static double unitClosed(String what, double x) {
        if (!(x >= 0 && x <= 1)) throw new IllegalArgumentException("Invalid " + what + ": " + x + " (must be in [0, 1])");
        return x;
    }

    /** A finite value >= 0. */
    public static double nonNegative(String what, double x) {
        if (!(x >= 0) || Double.isInfinite(x)) throw new IllegalArgumentException("Invalid " + what + ": " + x + " (must be finite and >= 0)");
        return x;
    }

    public static double beta(int index, double b) {
        if (!(b >= 0 && b < 1)) throw new IllegalArgumentException("Invalid beta parameter at index " + index + ": " + b + " (must be in [0, 1))");
        return b;
    }

    public static float f32(double x) { return (float) x; }
}
