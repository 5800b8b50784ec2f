package dev.lookahead4j.train;

/**
 * Labelled images held as bytes: {@code images[s*pixels + p]} is pixel p of sample s (0..255), and
 * {@code labels[s]} its class in [0, classes). {@link #gather} scales a batch to floats in [0, 1].
 * The arrays are held as given, not copied (tens of megabytes): do not change them afterwards.
 *
 * @param name    where it came from (for messages and logs)
 * @param images  count*rows*cols pixels, row-major per image
 * @param labels  count labels
 * @param count   number of samples
 * @param rows    image height
 * @param cols    image width
 * @param classes number of classes
 */
public record Dataset(String name, byte[] images, byte[] labels, int count, int rows, int cols, int classes) {
    /** Checks the sizes agree and every label is in [0, classes). */
    public Dataset {
        if (count < 1) throw new IllegalArgumentException("Invalid dataset '" + name + "': " + count + " samples (must be >= 1)");
        if (rows < 1 || cols < 1) throw new IllegalArgumentException("Invalid image size " + rows + "x" + cols + " in '" + name + "'");
        if (classes < 2 || classes > 256) throw new IllegalArgumentException("Invalid classes: " + classes + " (must be in [2, 256])");
        if (images.length != (long) count * rows * cols) {
            throw new IllegalArgumentException("Dataset '" + name + "': " + images.length + " pixels for " + count + " images of " + rows + "x" + cols);
        }
        if (labels.length != count) throw new IllegalArgumentException("Dataset '" + name + "': " + labels.length + " labels for " + count + " images");
        for (int s = 0; s < count; s++) {
            int l = labels[s] & 0xff;
            if (l >= classes) throw new IllegalArgumentException("Dataset '" + name + "': label " + l + " of sample " + s + " is not in [0, " + classes + ")");
        }
    }

    /** Pixels per image. */
    public int pixels() { return rows * cols; }

    /**
     * Copies samples {@code order[from..from+n)} into rows {@code x[0..n)} (each of at least
     * {@link #pixels()} floats, value/255) and their labels into {@code y[0..n)}.
     */
    public void gather(int[] order, int from, int n, float[][] x, byte[] y) {
        int p = pixels();
        for (int k = 0; k < n; k++) {
            int s = order[from + k];
            int src = s * p;
            float[] row = x[k];
            for (int j = 0; j < p; j++) row[j] = (images[src + j] & 0xff) / 255f;
            y[k] = labels[s];
        }
    }

    /** A training and a test set of the same image size and classes. */
    public record Split(Dataset train, Dataset test, boolean embedded) {
        public Split {
            if (train.rows() != test.rows() || train.cols() != test.cols() || train.classes() != test.classes()) {
                throw new IllegalArgumentException("Training set '" + train.name() + "' and test set '" + test.name() + "' differ in image size or classes");
            }
        }
    }
}
