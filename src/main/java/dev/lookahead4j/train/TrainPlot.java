package dev.lookahead4j.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The PNG plot of a comparison (XChart, rendered headless); the only AWT user of the training demo. */
final class TrainPlot {
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};

    private TrainPlot() { }

    /**
     * Writes a PNG with two panels: loss against epochs (training loss as a smoothed curve, test loss as
     * dashed lines with markers) and test accuracy against epochs; one colour per run, legends on both.
     */
    static void write(Path file, String title, List<RunResult> runs) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 760, h = 560;
        XYChart loss = new XYChartBuilder().width(w).height(h).title("Loss — " + title)
                .xAxisTitle("epoch").yAxisTitle("cross-entropy loss").build();
        XYChart acc = new XYChartBuilder().width(w).height(h).title("Test accuracy — " + title)
                .xAxisTitle("epoch").yAxisTitle("test accuracy (%)").build();
        for (XYChart c : List.of(loss, acc)) {
            c.getStyler().setLegendPosition(c == loss ? Styler.LegendPosition.InsideNE : Styler.LegendPosition.InsideSE);
            c.getStyler().setChartBackgroundColor(Color.WHITE);
            c.getStyler().setPlotBackgroundColor(Color.WHITE);
            c.getStyler().setPlotGridLinesColor(new Color(0xdddddd));
            c.getStyler().setLegendBackgroundColor(new Color(255, 255, 255, 220));
            c.getStyler().setXAxisDecimalPattern("0.#");
            c.getStyler().setAntiAlias(true);
        }
        BasicStroke dashed = SeriesLines.DASH_DASH;
        for (int i = 0; i < runs.size(); i++) {
            RunResult r = runs.get(i);
            Color col = PALETTE[i % PALETTE.length];
            String label = r.spec().label();
            int n = r.epochs().size();
            double[] ep = new double[n], testLoss = new double[n], testAcc = new double[n];
            for (int e = 0; e < n; e++) {
                ep[e] = r.epochs().get(e).epoch();
                testLoss[e] = clean(r.epochs().get(e).testLoss());
                testAcc[e] = 100 * r.epochs().get(e).testAccuracy();
            }
            if (r.curveEpoch().length > 0) {
                double[] cy = r.curveLoss().clone();
                for (int k = 0; k < cy.length; k++) cy[k] = clean(cy[k]);
                XYSeries s = loss.addSeries(label + " train", r.curveEpoch(), cy);
                s.setMarker(SeriesMarkers.NONE);
                s.setLineColor(col);
                s.setLineWidth(1.5f);
            }
            XYSeries t = loss.addSeries(label + " test (" + r.evaluatedOn() + ")", ep, testLoss);
            t.setLineColor(col);
            t.setLineStyle(dashed);
            t.setMarker(SeriesMarkers.CIRCLE);
            t.setMarkerColor(col);
            XYSeries a = acc.addSeries(label + " (" + r.evaluatedOn() + ")", ep, testAcc);
            a.setLineColor(col);
            a.setMarker(SeriesMarkers.CIRCLE);
            a.setMarkerColor(col);
            a.setLineWidth(2f);
        }
        BufferedImage left = BitmapEncoder.getBufferedImage(loss);
        BufferedImage right = BitmapEncoder.getBufferedImage(acc);
        BufferedImage both = new BufferedImage(left.getWidth() + right.getWidth(), Math.max(left.getHeight(), right.getHeight()),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = both.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, both.getWidth(), both.getHeight());
            g.drawImage(left, 0, 0, null);
            g.drawImage(right, left.getWidth(), 0, null);
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(both, "png", file.toFile())) throw new IOException("no PNG writer available for " + file);
    }

    /** XChart cannot draw NaN or infinities: a diverged (non-finite) loss is drawn at 0; the tables show NaN. */
    private static double clean(double d) {
        return Double.isFinite(d) ? d : 0.0;
    }
}
