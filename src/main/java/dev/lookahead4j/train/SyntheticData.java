package dev.lookahead4j.train;

import java.util.SplittableRandom;

/**
 * The embedded stand-in for Fashion-MNIST, generated (no download): 28x28 grey images in 10 classes,
 * each class a fixed arrangement of strokes and blobs (the same on every machine), drawn with a random
 * shift of up to 4 pixels, random contrast, blur-free pixel noise and a faint second class mixed in,
 * so that a small MLP learns it well but not perfectly in a few epochs. Deterministic for a seed.
 */
public final class SyntheticData {
    /** Default training-set size of the embedded data. */
    public static final int DEFAULT_TRAIN = 6000;
    /** Default test-set size of the embedded data. */
    public static final int DEFAULT_TEST = 1000;
    private static final int SIDE = 28, CLASSES = 10;

    private SyntheticData() { }

    /** The default embedded split (6000 training and 1000 test images). */
    public static Dataset.Split generate(long seed) {
        return generate(seed, DEFAULT_TRAIN, DEFAULT_TEST);
    }

    /** {@code train} training and {@code test} test images, deterministic for {@code seed}. */
    public static Dataset.Split generate(long seed, int train, int test) {
        if (train < 1) throw new IllegalArgumentException("Invalid train size: " + train + " (must be >= 1)");
        if (test < 1) throw new IllegalArgumentException("Invalid test size: " + test + " (must be >= 1)");
        float[][] proto = prototypes();
        return new Dataset.Split(make("synthetic train", proto, train, new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 1)),
                make("synthetic test", proto, test, new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 2)), true);
    }

    /** One fixed template per class, values in [0, 1]. */
    private static float[][] prototypes() {
        SplittableRandom r = new SplittableRandom(20190719L); // fixed: the classes are the same for every seed
        float[][] p = new float[CLASSES][SIDE * SIDE];
        for (int c = 0; c < CLASSES; c++) {
            int strokes = 2 + c % 3;
            for (int s = 0; s < strokes; s++) {
                double x0 = 5 + r.nextDouble() * 18, y0 = 5 + r.nextDouble() * 18;
                double x1 = 5 + r.nextDouble() * 18, y1 = 5 + r.nextDouble() * 18;
                double width = 1.0 + r.nextDouble() * 2.0;
                for (int y = 0; y < SIDE; y++) {
                    for (int x = 0; x < SIDE; x++) {
                        double d = segmentDistance(x, y, x0, y0, x1, y1);
                        double v = Math.exp(-d * d / (2 * width * width));
                        int k = y * SIDE + x;
                        p[c][k] = (float) Math.max(p[c][k], v);
                    }
                }
            }
        }
        return p;
    }

    private static double segmentDistance(double px, double py, double x0, double y0, double x1, double y1) {
        double dx = x1 - x0, dy = y1 - y0;
        double t = ((px - x0) * dx + (py - y0) * dy) / Math.max(1e-9, dx * dx + dy * dy);
        t = Math.max(0, Math.min(1, t));
        double ex = px - (x0 + t * dx), ey = py - (y0 + t * dy);
        return Math.sqrt(ex * ex + ey * ey);
    }

    private static Dataset make(String name, float[][] proto, int n, SplittableRandom r) {
        byte[] images = new byte[n * SIDE * SIDE];
        byte[] labels = new byte[n];
        for (int s = 0; s < n; s++) {
            int c = r.nextInt(CLASSES);
            int other = r.nextInt(CLASSES);
            int sx = r.nextInt(9) - 4, sy = r.nextInt(9) - 4;
            double contrast = 0.6 + 0.4 * r.nextDouble();
            double mix = 0.8 * r.nextDouble();
            labels[s] = (byte) c;
            int base = s * SIDE * SIDE;
            for (int y = 0; y < SIDE; y++) {
                for (int x = 0; x < SIDE; x++) {
                    int u = x - sx, v = y - sy;
                    double val = 0;
                    if (u >= 0 && u < SIDE && v >= 0 && v < SIDE) {
                        int k = v * SIDE + u;
                        val = contrast * Math.max(proto[c][k], mix * proto[other][k]);
                    }
                    val += 0.7 * (r.nextDouble() - 0.5);
                    images[base + y * SIDE + x] = (byte) Math.max(0, Math.min(255, Math.round(val * 255)));
                }
            }
        }
        return new Dataset(name, images, labels, n, SIDE, SIDE, CLASSES);
    }
}
