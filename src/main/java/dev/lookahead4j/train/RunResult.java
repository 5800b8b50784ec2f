package dev.lookahead4j.train;

import java.util.List;

/**
 * The outcome of one run.
 *
 * @param spec        what was run
 * @param epochs      per-epoch figures
 * @param curveEpoch  x positions (fractional epochs) of the smoothed training-loss curve
 * @param curveLoss   mean training loss over the window ending at each x position
 * @param seconds     wall time of the whole run (training and evaluation)
 * @param evaluatedOn "slow weights" or "weights": which weights the test figures are for
 */
public record RunResult(RunSpec spec, List<EpochStats> epochs, double[] curveEpoch, double[] curveLoss,
                        double seconds, String evaluatedOn) {
    /** The last epoch's figures. */
    public EpochStats last() { return epochs.get(epochs.size() - 1); }

    /** The best test accuracy over the epochs. */
    public double bestAccuracy() {
        return epochs.stream().mapToDouble(EpochStats::testAccuracy).max().orElse(Double.NaN);
    }
}
