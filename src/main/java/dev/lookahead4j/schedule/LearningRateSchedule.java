package dev.lookahead4j.schedule;

import java.util.Arrays;

/**
 * A learning-rate schedule, evaluated on the host once per step and per group:
 * {@code lr(baseLr, step)} where {@code step} is the number of optimizer steps already taken (0 for the
 * first step) and {@code baseLr} is the group's learning rate. This is PyTorch's LR-scheduler convention
 * with {@code scheduler.step()} called after every optimizer step, so "epochs" here are steps.
 * A user schedule is a lambda; it must return a finite value &gt;= 0 (checked at every step).
 */
@FunctionalInterface
public interface LearningRateSchedule {
    double lr(double baseLr, long step);

    /** The base learning rate at every step. */
    static LearningRateSchedule constant() {
        return (base, step) -> base;
    }

    /** {@code base * gamma^floor(step / stepSize)} (PyTorch StepLR). */
    static LearningRateSchedule step(long stepSize, double gamma) {
        if (stepSize < 1) throw new IllegalArgumentException("Invalid stepSize: " + stepSize + " (must be >= 1)");
        checkGamma(gamma);
        return (base, step) -> base * Math.pow(gamma, step / stepSize);
    }

    /** {@code base * gamma^(number of milestones <= step)} (PyTorch MultiStepLR); milestones strictly increasing. */
    static LearningRateSchedule multiStep(long[] milestones, double gamma) {
        if (milestones == null || milestones.length == 0) throw new IllegalArgumentException("Invalid milestones: empty (need at least one step >= 1)");
        long[] ms = milestones.clone();
        for (int i = 0; i < ms.length; i++) {
            if (ms[i] < 1 || (i > 0 && ms[i] <= ms[i - 1])) {
                throw new IllegalArgumentException("Invalid milestones: " + Arrays.toString(ms) + " (must be strictly increasing and >= 1)");
            }
        }
        checkGamma(gamma);
        return (base, step) -> {
            int passed = 0;
            while (passed < ms.length && ms[passed] <= step) passed++;
            return base * Math.pow(gamma, passed);
        };
    }

    /** {@code base * gamma^step} (PyTorch ExponentialLR). */
    static LearningRateSchedule exponential(double gamma) {
        checkGamma(gamma);
        return (base, step) -> base * Math.pow(gamma, step);
    }

    /**
     * Cosine annealing from base to {@code minLr} over {@code period} steps (PyTorch CosineAnnealingLR's
     * closed form): {@code minLr + (base - minLr) * (1 + cos(pi * step / period)) / 2}; it keeps following
     * the cosine past {@code period}, like PyTorch's.
     */
    static LearningRateSchedule cosine(long period, double minLr) {
        if (period < 1) throw new IllegalArgumentException("Invalid period (T_max): " + period + " (must be >= 1)");
        if (!(minLr >= 0) || Double.isInfinite(minLr)) throw new IllegalArgumentException("Invalid minLr (eta_min): " + minLr + " (must be finite and >= 0)");
        return (base, step) -> minLr + (base - minLr) * (1 + Math.cos(Math.PI * step / period)) / 2;
    }

    /**
     * Linear warm-up over {@code warmupSteps} steps from {@code startFactor * base} to base (PyTorch
     * LinearLR), then {@code after} with its step count starting at 0 (PyTorch SequentialLR).
     */
    static LearningRateSchedule warmup(long warmupSteps, double startFactor, LearningRateSchedule after) {
        if (warmupSteps < 1) throw new IllegalArgumentException("Invalid warmupSteps: " + warmupSteps + " (must be >= 1)");
        if (!(startFactor > 0 && startFactor <= 1)) throw new IllegalArgumentException("Invalid startFactor: " + startFactor + " (must be in (0, 1])");
        if (after == null) throw new IllegalArgumentException("Invalid after: null (use LearningRateSchedule.constant())");
        return (base, step) -> step < warmupSteps
                ? base * (startFactor + (1 - startFactor) * step / warmupSteps)
                : after.lr(base, step - warmupSteps);
    }

    private static void checkGamma(double gamma) {
        if (!(gamma > 0) || Double.isInfinite(gamma)) throw new IllegalArgumentException("Invalid gamma: " + gamma + " (must be finite and > 0)");
    }
}
