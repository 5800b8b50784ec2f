package dev.lookahead4j.cli;

import dev.lookahead4j.Lookahead;
import dev.lookahead4j.Pullback;
import dev.lookahead4j.optim.InnerOptimizer;
import dev.lookahead4j.train.Dataset;
import dev.lookahead4j.train.EpochStats;
import dev.lookahead4j.train.FashionMnist;
import dev.lookahead4j.train.OptimizerSpec;
import dev.lookahead4j.train.RunResult;
import dev.lookahead4j.train.RunSpec;
import dev.lookahead4j.train.SyntheticData;
import dev.lookahead4j.train.TrainDevice;
import dev.lookahead4j.train.TrainReport;
import dev.lookahead4j.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code train}: trains the same MLP on Fashion-MNIST (or the embedded synthetic stand-in) with an inner
 * optimizer alone and with Lookahead around it, prints a per-epoch table and a final side-by-side table,
 * and writes {@code train-log.csv}, {@code train-log.json} and {@code train-curves.png} to {@code --out}.
 * Exit 0 on success, 2 for bad input (options, malformed data files), 1 for other failures.
 */
@Command(name = "train", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Train an MLP on Fashion-MNIST with an optimizer alone and with Lookahead around it; "
                + "print per-epoch and side-by-side tables, write a CSV/JSON log and a PNG plot.",
            "Runs on embedded synthetic data when the Fashion-MNIST files are not found."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--data", paramLabel = "DIR",
            description = "Directory with the four Fashion-MNIST IDX .gz files (default: ${DEFAULT-VALUE}; "
                    + "when absent there, the embedded synthetic data is used).")
    Path data = FashionMnist.DEFAULT_DIR;

    @Option(names = "--embedded", description = "Use the embedded synthetic data even when Fashion-MNIST is installed.")
    boolean embedded;

    @Option(names = "--hidden", split = ",", arity = "1", paramLabel = "W[,W...]", defaultValue = "256,128",
            description = "Hidden layer widths (default: ${DEFAULT-VALUE}; 0 for none, a linear model).")
    int[] hidden;

    @Option(names = "--batch-size", defaultValue = "128", description = "Samples per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--epochs", defaultValue = "5", description = "Epochs per run (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of initialisation and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--optimizer", paramLabel = "SPEC", defaultValue = "adam",
            description = {"Inner optimizer NAME[:key=value,...], repeatable (default: ${DEFAULT-VALUE}). NAME: "
                    + "sgd, adam, adamw, rmsprop, adagrad, radam, nadam; keys are PyTorch's (lr, momentum, weight_decay, "
                    + "betas=B1/B2, eps, nesterov=true, ...). E.g. adam:lr=3e-4, sgd:lr=0.1,momentum=0.9."})
    List<String> optimizers;

    @Option(names = "--compare", paramLabel = "MODE", defaultValue = "both",
            description = "Runs per --optimizer: both (alone, then with Lookahead), inner (alone only), "
                    + "lookahead (with Lookahead only) (default: ${DEFAULT-VALUE}).")
    String compare;

    @Option(names = "--k", defaultValue = "5", description = "Lookahead sync period k >= 1 (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--alpha", defaultValue = "0.5", description = "Lookahead slow step size alpha in [0, 1] (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--pullback", defaultValue = "none",
            description = "What a sync does to the inner momentum: none, reset, pullback (default: ${DEFAULT-VALUE}).")
    String pullback;

    @Option(names = "--device", defaultValue = "auto",
            description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}). On CUDA the model runs through cuBLAS "
                    + "(needs libcublas.so.12); where the GPU or cuBLAS is unusable it runs on the CPU, with a note.")
    String device;

    @Option(names = "--threads", description = "CPU threads for the matrix products (default: available processors).")
    Integer threads;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "train-out",
            description = "Directory for train-log.csv, train-log.json and train-curves.png (default: ./${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--progress", defaultValue = "auto",
            description = "Progress bar per epoch: auto (when attached to a terminal), on, off (default: ${DEFAULT-VALUE}).")
    String progress;

    @Option(names = "--train-samples", paramLabel = "N", description = "Use only the first N training samples (quick runs).")
    Integer trainSamples;

    @Option(names = "--test-samples", paramLabel = "N", description = "Use only the first N test samples (quick runs).")
    Integer testSamples;

    @Override
    public Integer call() throws IOException {
        PrintStream o = System.out;
        // ---- validate every option before any work
        int[] hid = hidden.length == 1 && hidden[0] == 0 ? new int[0] : hidden;
        int nThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        Trainer.Config cfg = new Trainer.Config(hid, batchSize, epochs, seed, nThreads);
        List<InnerOptimizer> inners = new ArrayList<>();
        for (String s : optimizers) inners.add(OptimizerSpec.parse(s));
        Pullback pb = switch (pullback.toLowerCase(Locale.ROOT)) {
            case "none" -> Pullback.NONE;
            case "reset" -> Pullback.RESET;
            case "pullback" -> Pullback.PULLBACK;
            default -> throw new IllegalArgumentException("Invalid --pullback: '" + pullback + "' (none, reset or pullback)");
        };
        if (k < 1) throw new IllegalArgumentException("Invalid --k: " + k + " (must be >= 1)");
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("Invalid --alpha: " + alpha + " (must be in [0, 1])");
        Lookahead la = Lookahead.builder().syncPeriod(k).slowStepSize(alpha).pullback(pb).build();
        List<RunSpec> runs = new ArrayList<>();
        for (InnerOptimizer in : inners) {
            switch (compare.toLowerCase(Locale.ROOT)) {
                case "both" -> {
                    runs.add(RunSpec.plain(in));
                    runs.add(RunSpec.lookahead(in, la));
                }
                case "inner" -> runs.add(RunSpec.plain(in));
                case "lookahead" -> runs.add(RunSpec.lookahead(in, la));
                default -> throw new IllegalArgumentException("Invalid --compare: '" + compare + "' (both, inner or lookahead)");
            }
        }
        boolean bar = switch (progress.toLowerCase(Locale.ROOT)) {
            case "on" -> true;
            case "off" -> false;
            case "auto" -> System.console() != null;
            default -> throw new IllegalArgumentException("Invalid --progress: '" + progress + "' (auto, on or off)");
        };
        if (trainSamples != null && trainSamples < 1) throw new IllegalArgumentException("Invalid --train-samples: " + trainSamples + " (must be >= 1)");
        if (testSamples != null && testSamples < 1) throw new IllegalArgumentException("Invalid --test-samples: " + testSamples + " (must be >= 1)");
        try (TrainDevice td = TrainDevice.select(device)) {
            return train(o, cfg, runs, bar, td, nThreads);
        }
    }

    private Integer train(PrintStream o, Trainer.Config cfg, List<RunSpec> runs, boolean bar, TrainDevice td, int nThreads) throws IOException {
        String deviceNote = td.note();
        // ---- data
        Dataset.Split split = loadData(o);
        split = new Dataset.Split(limit(split.train(), trainSamples), limit(split.test(), testSamples), split.embedded());
        Files.createDirectories(out);

        int[] widths = cfg.widths(split.train().pixels(), split.train().classes());
        String model = Arrays.stream(widths).mapToObj(Integer::toString).collect(Collectors.joining("-"));
        if (deviceNote != null) o.println("note: " + deviceNote);
        o.printf(Locale.ROOT, "data: %s (%d train / %d test), model: MLP %s (%,d parameters), batch %d, epochs %d, seed %d, %s%n",
                split.embedded() ? "embedded synthetic data" : split.train().name().replace(" train", ""),
                split.train().count(), split.test().count(), model, parameterCount(widths), batchSize, epochs, seed,
                td.cuda().isPresent() ? "device " + td.describe() : "cpu " + nThreads + " threads");
        o.println("Lookahead runs are evaluated on their slow weights (as in the paper); training loss is on the fast weights.");

        // ---- runs
        int labelWidth = Math.max(20, runs.stream().mapToInt(r -> r.label().length()).max().orElse(20));
        o.println();
        o.println(TrainReport.epochHeader(labelWidth));
        List<RunResult> results = new ArrayList<>();
        long t0 = System.nanoTime();
        for (RunSpec r : runs) {
            Listener l = new Listener(o, labelWidth, bar);
            try {
                results.add(Trainer.run(split, cfg, r, l, td.cuda().orElse(null)));
            } finally {
                l.closeBar();
            }
        }
        double total = (System.nanoTime() - t0) / 1e9;

        // ---- outputs
        o.println();
        o.println("Comparison (" + (split.embedded() ? "embedded synthetic data" : "Fashion-MNIST") + ", MLP " + model + ", batch "
                + batchSize + ", " + epochs + (epochs == 1 ? " epoch" : " epochs") + ", seed " + seed + ")");
        o.print(TrainReport.comparisonTable(results));
        o.printf(Locale.ROOT, "total: %.1f s for %d runs (training and evaluation)%n", total, results.size());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("data", split.embedded() ? "embedded synthetic" : data.toString());
        settings.put("train_samples", split.train().count());
        settings.put("test_samples", split.test().count());
        settings.put("widths", widths);
        settings.put("batch_size", batchSize);
        settings.put("epochs", epochs);
        settings.put("seed", seed);
        settings.put("threads", nThreads);
        settings.put("device", td.describe());
        settings.put("total_seconds", total);
        Path csv = out.resolve("train-log.csv"), json = out.resolve("train-log.json"), png = out.resolve("train-curves.png");
        TrainReport.writeCsv(csv, results);
        TrainReport.writeJson(json, settings, results);
        TrainReport.writePlot(png, (split.embedded() ? "synthetic data" : "Fashion-MNIST") + ", MLP " + model, results);
        o.println("wrote " + csv + ", " + json + ", " + png);
        if (split.embedded()) o.println("note: these figures are for the embedded synthetic data; " + FashionMnist.HOW_TO_GET);
        return 0;
    }

    private Dataset.Split loadData(PrintStream o) throws IOException {
        if (embedded) return SyntheticData.generate(seed);
        boolean explicit = !data.equals(FashionMnist.DEFAULT_DIR);
        if (FashionMnist.present(data)) return FashionMnist.load(data);
        if (explicit) {
            throw new IllegalArgumentException("Invalid --data " + data + ": missing " + String.join(", ", FashionMnist.missing(data))
                    + " (" + FashionMnist.HOW_TO_GET + ")");
        }
        o.println("note: Fashion-MNIST not found in " + data + "; training on the embedded synthetic data instead.");
        o.println("note: " + FashionMnist.HOW_TO_GET);
        return SyntheticData.generate(seed);
    }

    private static Dataset limit(Dataset d, Integer n) {
        if (n == null || n >= d.count()) return d;
        int p = d.pixels();
        return new Dataset(d.name() + " (first " + n + ")", Arrays.copyOf(d.images(), n * p), Arrays.copyOf(d.labels(), n), n,
                d.rows(), d.cols(), d.classes());
    }

    private static long parameterCount(int[] widths) {
        long n = 0;
        for (int l = 1; l < widths.length; l++) n += (long) widths[l - 1] * widths[l] + widths[l];
        return n;
    }

    /** Prints table rows and drives the progress bar. */
    private static final class Listener implements Trainer.Listener {
        private final PrintStream out;
        private final int labelWidth;
        private final boolean useBar;
        private ProgressBar bar;

        Listener(PrintStream out, int labelWidth, boolean useBar) {
            this.out = out;
            this.labelWidth = labelWidth;
            this.useBar = useBar;
        }

        @Override
        public void epochStarted(RunSpec run, int epoch, int steps) {
            if (!useBar) return;
            bar = new ProgressBarBuilder().setTaskName(String.format(Locale.ROOT, "%s epoch %d", shorten(run.label()), epoch))
                    .setInitialMax(steps).setStyle(ProgressBarStyle.ASCII).setUnit(" batches", 1)
                    .setUpdateIntervalMillis(250).clearDisplayOnFinish()
                    .setConsumer(new ConsoleProgressBarConsumer(System.err, 110)).build();
        }

        @Override
        public void batchDone(int step, double loss) {
            if (bar == null) return;
            bar.step();
            if (step % 20 == 0) bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f", loss));
        }

        @Override
        public void epochDone(RunSpec run, EpochStats stats) {
            closeBar();
            out.println(TrainReport.epochRow(labelWidth, run, stats));
            out.flush();
        }

        void closeBar() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }

        private static String shorten(String s) {
            return s.length() <= 40 ? s : s.substring(0, 37) + "...";
        }
    }
}
