package dev.lookahead4j.train;

import dev.lookahead4j.internal.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The output of a comparison: the per-epoch table rows (printed as the runs go), the final side-by-side
 * table, the CSV and JSON logs and the PNG plot (XChart, rendered headless).
 */
public final class TrainReport {
    private TrainReport() { }

    /** The header of the per-epoch table. */
    public static String epochHeader(int labelWidth) {
        return String.format(Locale.ROOT, "%-" + labelWidth + "s %5s %10s %10s %9s %8s %10s", "run", "epoch", "train loss",
                "test loss", "test acc", "seconds", "samples/s");
    }

    /** One row of the per-epoch table. */
    public static String epochRow(int labelWidth, RunSpec run, EpochStats e) {
        return String.format(Locale.ROOT, "%-" + labelWidth + "s %5d %10.4f %10.4f %8.2f%% %8.2f %10.0f", run.label(), e.epoch(),
                e.trainLoss(), e.testLoss(), 100 * e.testAccuracy(), e.seconds(), e.samplesPerSecond());
    }

    /** The final comparison: one column per run, test accuracy per epoch, then summary rows. */
    public static String comparisonTable(List<RunResult> runs) {
        int labelCol = 22;
        List<Integer> widths = new ArrayList<>();
        for (RunResult r : runs) widths.add(Math.max(12, r.spec().label().length()));
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-" + labelCol + "s", ""));
        for (int i = 0; i < runs.size(); i++) b.append("  ").append(pad(runs.get(i).spec().label(), widths.get(i)));
        b.append('\n');
        int maxEpochs = runs.stream().mapToInt(r -> r.epochs().size()).max().orElse(0);
        for (int e = 0; e < maxEpochs; e++) {
            final int ep = e;
            row(b, labelCol, "epoch " + (e + 1) + " test acc", runs, widths,
                    r -> ep < r.epochs().size() ? pct(r.epochs().get(ep).testAccuracy()) : "-");
        }
        row(b, labelCol, "final train loss", runs, widths, r -> String.format(Locale.ROOT, "%.4f", r.last().trainLoss()));
        row(b, labelCol, "final test loss", runs, widths, r -> String.format(Locale.ROOT, "%.4f", r.last().testLoss()));
        row(b, labelCol, "final test acc", runs, widths, r -> pct(r.last().testAccuracy()));
        row(b, labelCol, "best test acc", runs, widths, r -> pct(r.bestAccuracy()));
        row(b, labelCol, "evaluated on", runs, widths, RunResult::evaluatedOn);
        row(b, labelCol, "training seconds", runs, widths,
                r -> String.format(Locale.ROOT, "%.1f", r.epochs().stream().mapToDouble(EpochStats::seconds).sum()));
        row(b, labelCol, "run seconds (+eval)", runs, widths, r -> String.format(Locale.ROOT, "%.1f", r.seconds()));
        return b.toString();
    }

    private static void row(StringBuilder b, int labelCol, String name, List<RunResult> runs, List<Integer> widths,
                            java.util.function.Function<RunResult, String> cell) {
        b.append(String.format(Locale.ROOT, "%-" + labelCol + "s", name));
        for (int i = 0; i < runs.size(); i++) b.append("  ").append(pad(cell.apply(runs.get(i)), widths.get(i)));
        b.append('\n');
    }

    private static String pad(String s, int w) {
        return " ".repeat(Math.max(0, w - s.length())) + s;
    }

    private static String pct(double a) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * a);
    }

    /** Writes one CSV row per run and epoch. */
    public static void writeCsv(Path file, List<RunResult> runs) throws IOException {
        StringBuilder b = new StringBuilder("run,epoch,train_loss,test_loss,test_accuracy,train_seconds,eval_seconds,samples_per_second,evaluated_on\n");
        for (RunResult r : runs) {
            for (EpochStats e : r.epochs()) {
                b.append(csv(r.spec().label())).append(',').append(e.epoch()).append(',').append(e.trainLoss()).append(',')
                        .append(e.testLoss()).append(',').append(e.testAccuracy()).append(',').append(e.seconds()).append(',')
                        .append(e.evalSeconds()).append(',').append(e.samplesPerSecond()).append(',').append(r.evaluatedOn()).append('\n');
            }
        }
        Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** Writes the whole comparison (settings, per-epoch figures, training-loss curves) as JSON. */
    public static void writeJson(Path file, Map<String, Object> settings, List<RunResult> runs) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>(settings);
        List<Object> rs = new ArrayList<>();
        for (RunResult r : runs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("label", r.spec().label());
            m.put("inner", r.spec().inner().toMap());
            if (r.spec().lookahead() != null) {
                m.put("lookahead", Map.of("k", r.spec().lookahead().syncPeriod(), "alpha", r.spec().lookahead().slowStepSize(),
                        "pullback", r.spec().lookahead().pullback().name().toLowerCase(Locale.ROOT)));
            }
            m.put("evaluated_on", r.evaluatedOn());
            m.put("seconds", r.seconds());
            List<Object> es = new ArrayList<>();
            for (EpochStats e : r.epochs()) {
                Map<String, Object> em = new LinkedHashMap<>();
                em.put("epoch", e.epoch());
                em.put("train_loss", finite(e.trainLoss()));
                em.put("test_loss", finite(e.testLoss()));
                em.put("test_accuracy", e.testAccuracy());
                em.put("train_seconds", e.seconds());
                em.put("eval_seconds", e.evalSeconds());
                em.put("samples_per_second", e.samplesPerSecond());
                es.add(em);
            }
            m.put("epochs", es);
            List<Object> cx = new ArrayList<>(), cy = new ArrayList<>();
            for (int i = 0; i < r.curveEpoch().length; i++) {
                cx.add(r.curveEpoch()[i]);
                cy.add(finite(r.curveLoss()[i]));
            }
            m.put("train_loss_curve", Map.of("epoch", cx, "loss", cy));
            rs.add(m);
        }
        root.put("runs", rs);
        Files.writeString(file, Json.write(root) + "\n", StandardCharsets.UTF_8);
    }

    private static Object finite(double d) {
        return Double.isFinite(d) ? d : null;
    }

    /**
     * Writes a PNG with two panels: loss against epochs (training loss as a smoothed curve, test loss as
     * dashed lines with markers) and test accuracy against epochs; one colour per run, legends on both.
     * The drawing code is in its own class so that this one loads on a Java runtime without the
     * {@code java.desktop} module (AWT), e.g. a minimal jlink image; there only the plot fails, with an
     * {@link IOException} saying so.
     */
    public static void writePlot(Path file, String title, List<RunResult> runs) throws IOException {
        try {
            TrainPlot.write(file, title, runs);
        } catch (LinkageError e) {
            if (ModuleLayer.boot().findModule("java.desktop").isPresent()) throw e;
            throw new IOException("cannot draw " + file + ": this Java runtime lacks AWT (the java.desktop module), which the plot needs ("
                    + e + "); the CSV and JSON logs are written", e);
        }
    }
}
