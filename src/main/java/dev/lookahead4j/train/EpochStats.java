package dev.lookahead4j.train;

/**
 * The figures of one epoch of one run.
 *
 * @param epoch         1-based epoch number
 * @param trainLoss     mean of the per-sample training losses seen during the epoch (fast weights)
 * @param testLoss      mean test loss after the epoch (for Lookahead runs: on the slow weights)
 * @param testAccuracy  test accuracy in [0, 1] after the epoch (same weights as testLoss)
 * @param seconds       wall time of the epoch's training steps (not the evaluation)
 * @param evalSeconds   wall time of the evaluation
 * @param samplesPerSecond training samples per second of the epoch
 */
public record EpochStats(int epoch, double trainLoss, double testLoss, double testAccuracy, double seconds,
                         double evalSeconds, double samplesPerSecond) { }
