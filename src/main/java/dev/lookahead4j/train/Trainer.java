package dev.lookahead4j.train;

import dev.lookahead4j.Device;
import dev.lookahead4j.GroupOptions;
import dev.lookahead4j.Optimizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Trains the MLP on a dataset with one {@link RunSpec}: mini-batches in an order shuffled per epoch
 * from the seed (the same order for every run of a comparison), forward and backward into the arena's
 * gradients, one {@link Optimizer#step()} per batch, and after each epoch an evaluation on the test set.
 *
 * <p>Lookahead runs are evaluated on their <em>slow</em> weights (as in the paper), through
 * {@link Optimizer#withSlowWeights}: the evaluation neither syncs nor changes the training trajectory.
 * The training loss is the mean of the losses of the epoch's batches as they were trained, on the fast
 * weights.
 *
 * <p>Deterministic for a given seed: initialisation, shuffling and every float operation are fixed, and
 * the result does not depend on the number of threads (the matrix products split work by rows and never
 * split a sum; the optimizer step is element-wise). The optimizer's arena lives on a one-thread CPU
 * device: its step over ~235k parameters takes a fraction of a millisecond, and a second pool of
 * spinning workers next to the model's would compete with it for the cores.
 *
 * <p>Weights are in group {@link Mlp#WEIGHTS}, biases in {@link Mlp#BIASES} with weight decay 0 (only
 * matters for rules with weight decay, e.g. {@code adamw}).
 */
public final class Trainer {
    private Trainer() { }

    /**
     * What to train.
     *
     * @param hidden    hidden layer widths (e.g. 256, 128); may be empty (a linear classifier)
     * @param batchSize samples per step, >= 1
     * @param epochs    passes over the training set, >= 1
     * @param seed      seed of the initialisation and the shuffling
     * @param threads   threads for the matrix products, >= 1
     */
    public record Config(int[] hidden, int batchSize, int epochs, long seed, int threads) {
        public Config {
            if (hidden == null) throw new IllegalArgumentException("Invalid --hidden: null");
            hidden = hidden.clone();
            for (int h : hidden) if (h < 1 || h > 65536) throw new IllegalArgumentException("Invalid --hidden width: " + h + " (must be in [1, 65536])");
            if (batchSize < 1 || batchSize > 65536) throw new IllegalArgumentException("Invalid --batch-size: " + batchSize + " (must be in [1, 65536])");
            if (epochs < 1 || epochs > 100_000) throw new IllegalArgumentException("Invalid --epochs: " + epochs + " (must be in [1, 100000])");
            if (threads < 1 || threads > 1024) throw new IllegalArgumentException("Invalid --threads: " + threads + " (must be in [1, 1024])");
        }

        /** Layer widths for data with {@code inputs} pixels and {@code classes} classes. */
        public int[] widths(int inputs, int classes) {
            int[] w = new int[hidden.length + 2];
            w[0] = inputs;
            System.arraycopy(hidden, 0, w, 1, hidden.length);
            w[w.length - 1] = classes;
            return w;
        }

        @Override
        public String toString() {
            return "Config[hidden=" + Arrays.toString(hidden) + ", batchSize=" + batchSize + ", epochs=" + epochs + ", seed=" + seed + ", threads=" + threads + "]";
        }
    }

    /** Receives progress while a run trains (all calls on the training thread). */
    public interface Listener {
        /** An epoch of {@code steps} batches starts. */
        default void epochStarted(RunSpec run, int epoch, int steps) { }

        /** A batch was trained; {@code loss} is its mean loss. */
        default void batchDone(int step, double loss) { }

        /** An epoch ended (training and evaluation). */
        default void epochDone(RunSpec run, EpochStats stats) { }
    }

    /** Trains one run from scratch on the CPU and returns its figures. */
    public static RunResult run(Dataset.Split data, Config cfg, RunSpec spec, Listener listener) {
        return run(data, cfg, spec, listener, null);
    }

    /**
     * Trains one run from scratch and returns its figures: on the CPU when {@code cuda} is null, else the
     * model and the optimizer on that CUDA device ({@link CudaMlp}; JCublas must load, see
     * {@link TrainDevice}). The device stays open (the caller owns it); the run's arena and buffers are
     * freed before this returns.
     *
     * <p>On CUDA the batches, initialisation, shuffling and evaluation are the CPU path's, but the batch
     * losses are read from the device once per point of the training-loss curve (20 per epoch) rather
     * than after every batch, so {@link Listener#batchDone} arrives in bursts.
     */
    public static RunResult run(Dataset.Split data, Config cfg, RunSpec spec, Listener listener, Device cuda) {
        if (data == null) throw new IllegalArgumentException("Invalid data: null");
        if (cfg == null) throw new IllegalArgumentException("Invalid config: null");
        if (spec == null) throw new IllegalArgumentException("Invalid run: null");
        if (cuda != null && cuda.kind() != Device.Kind.CUDA) {
            throw new IllegalArgumentException("Invalid device: " + cuda.describe() + " (a CUDA device, or null for the CPU)");
        }
        Listener l = listener != null ? listener : new Listener() { };
        if (cuda != null) return runCuda(data, cfg, spec, l, cuda);
        Dataset train = data.train(), test = data.test();
        Bookkeeping run = new Bookkeeping(data, cfg, spec, l);
        int steps = run.steps, window = run.window;
        try (Device device = Device.cpu(1);
             Mlp mlp = new Mlp(device, run.widths, run.maxBatch, cfg.threads());
             Optimizer opt = build(mlp, spec)) {
            mlp.initialize(cfg.seed());
            int[] order = new int[train.count()];
            for (int epoch = 1; epoch <= cfg.epochs(); epoch++) {
                shuffle(order, cfg.seed(), epoch);
                l.epochStarted(spec, epoch, steps);
                long t0 = System.nanoTime();
                double epochSum = 0, windowSum = 0;
                int windowSamples = 0;
                for (int s = 0; s < steps; s++) {
                    int from = s * cfg.batchSize();
                    int n = Math.min(cfg.batchSize(), train.count() - from);
                    double sum = mlp.trainStep(train, order, from, n);
                    opt.step();
                    epochSum += sum;
                    windowSum += sum;
                    windowSamples += n;
                    if ((s + 1) % window == 0 || s + 1 == steps) {
                        run.curvePoint(epoch, s, windowSum / windowSamples);
                        windowSum = 0;
                        windowSamples = 0;
                    }
                    l.batchDone(s + 1, sum / n);
                }
                if (!run.epochDone(epoch, epochSum, t0, opt, () -> mlp.evaluate(test))) break;
            }
        }
        return run.result();
    }

    /** The CUDA twin of the CPU loop above: same batches, curve, evaluation and stopping rule. */
    private static RunResult runCuda(Dataset.Split data, Config cfg, RunSpec spec, Listener l, Device cuda) {
        Dataset train = data.train(), test = data.test();
        Bookkeeping run = new Bookkeeping(data, cfg, spec, l);
        int steps = run.steps, window = run.window;
        try (CudaMlp mlp = new CudaMlp(cuda, run.widths, run.maxBatch, cfg.batchSize(), train, test);
             Optimizer opt = build(mlp.arena(), spec)) {
            mlp.initialize(cfg.seed());
            int[] order = new int[train.count()];
            for (int epoch = 1; epoch <= cfg.epochs(); epoch++) {
                shuffle(order, cfg.seed(), epoch);
                mlp.setOrder(order);
                l.epochStarted(spec, epoch, steps);
                long t0 = System.nanoTime();
                double epochSum = 0;
                int read = 0; // steps whose losses have been read back
                for (int s = 0; s < steps; s++) {
                    int from = s * cfg.batchSize();
                    int n = Math.min(cfg.batchSize(), train.count() - from);
                    mlp.trainStep(from, n, s);
                    opt.step();
                    if ((s + 1) % window == 0 || s + 1 == steps) {
                        // one read per curve point: the window's batch losses (waits for the GPU)
                        double[] sums = mlp.batchLosses(read, s + 1);
                        double windowSum = 0;
                        int windowSamples = 0;
                        for (int k = read; k <= s; k++) {
                            int nk = Math.min(cfg.batchSize(), train.count() - k * cfg.batchSize());
                            double sum = sums[k - read];
                            epochSum += sum;
                            windowSum += sum;
                            windowSamples += nk;
                            l.batchDone(k + 1, sum / nk);
                        }
                        run.curvePoint(epoch, s, windowSum / windowSamples);
                        read = s + 1;
                    }
                }
                if (!run.epochDone(epoch, epochSum, t0, opt, mlp::evaluate)) break;
            }
        }
        return run.result();
    }

    /**
     * What the CPU and CUDA loops share: the run's sizes, the training-loss curve, the per-epoch evaluation
     * (on the slow weights for Lookahead runs) and statistics, and the result.
     */
    private static final class Bookkeeping {
        final int[] widths;
        final int maxBatch, steps, window;
        private final Dataset train;
        private final RunSpec spec;
        private final Listener listener;
        private final List<EpochStats> epochs = new ArrayList<>();
        private final double[] curveX, curveY;
        private int curveN;
        private final long runStart = System.nanoTime();

        Bookkeeping(Dataset.Split data, Config cfg, RunSpec spec, Listener listener) {
            this.train = data.train();
            this.spec = spec;
            this.listener = listener;
            widths = cfg.widths(train.pixels(), train.classes());
            maxBatch = Math.max(cfg.batchSize(), Math.min(1000, data.test().count()));
            steps = (train.count() + cfg.batchSize() - 1) / cfg.batchSize();
            window = Math.max(1, steps / 20);
            curveX = new double[cfg.epochs() * ((steps + window - 1) / window)];
            curveY = new double[curveX.length];
        }

        /** A point of the training-loss curve after step {@code s} (0-based) of {@code epoch}. */
        void curvePoint(int epoch, int s, double meanLoss) {
            curveX[curveN] = epoch - 1 + (double) (s + 1) / steps;
            curveY[curveN++] = meanLoss;
        }

        /** Evaluates, records and reports the epoch; false when training diverged (stop: the rest would be NaN). */
        boolean epochDone(int epoch, double epochLossSum, long epochStartNanos, Optimizer opt,
                          java.util.function.Supplier<Mlp.Evaluation> evaluate) {
            double seconds = (System.nanoTime() - epochStartNanos) / 1e9;
            long t1 = System.nanoTime();
            Mlp.Evaluation e = spec.lookahead() != null ? opt.withSlowWeights(evaluate) : evaluate.get();
            double evalSeconds = (System.nanoTime() - t1) / 1e9;
            EpochStats st = new EpochStats(epoch, epochLossSum / train.count(), e.loss(), e.accuracy(), seconds, evalSeconds,
                    train.count() / seconds);
            epochs.add(st);
            listener.epochDone(spec, st);
            return Double.isFinite(st.trainLoss());
        }

        RunResult result() {
            return new RunResult(spec, List.copyOf(epochs), Arrays.copyOf(curveX, curveN), Arrays.copyOf(curveY, curveN),
                    (System.nanoTime() - runStart) / 1e9, spec.lookahead() != null ? "slow weights" : "weights");
        }
    }

    private static Optimizer build(Mlp mlp, RunSpec spec) {
        return build(mlp.arena(), spec);
    }

    private static Optimizer build(dev.lookahead4j.ParamArena arena, RunSpec spec) {
        return Optimizer.builder(arena, spec.inner())
                .lookahead(spec.lookahead())
                .group(Mlp.BIASES, GroupOptions.builder().weightDecay(0).build())
                .build();
    }

    /** The identity permutation shuffled by Fisher-Yates from (seed, epoch): the same for every run. */
    static void shuffle(int[] order, long seed, int epoch) {
        for (int i = 0; i < order.length; i++) order[i] = i;
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + epoch);
        for (int i = order.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }
}
