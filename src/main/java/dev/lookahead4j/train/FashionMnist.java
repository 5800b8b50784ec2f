package dev.lookahead4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): 60,000 training and 10,000 test images of 28x28
 * grey pixels in 10 classes, as the four gzip IDX files that Debian's and Ubuntu's
 * {@code dataset-fashion-mnist} package installs in {@link #DEFAULT_DIR}.
 */
public final class FashionMnist {
    /** Where {@code apt-get install dataset-fashion-mnist} puts the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    /** The four file names, in the order train images, train labels, test images, test labels. */
    public static final List<String> FILES = List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
    /** Class names by label. */
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    /** Where the files can be downloaded from when the package is not available. */
    public static final String URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
    /** How to get the data, for messages. */
    public static final String HOW_TO_GET = "to train on the real Fashion-MNIST: apt-get install dataset-fashion-mnist"
            + " (Debian/Ubuntu; files in " + DEFAULT_DIR + "), or download " + String.join(", ", FILES)
            + " from " + URL + " into a directory and pass --data DIR";

    private FashionMnist() { }

    /** True when all four files exist in {@code dir} (not uncompressed ones: only the .gz names). */
    public static boolean present(Path dir) {
        for (String f : FILES) if (!Files.isRegularFile(dir.resolve(f))) return false;
        return true;
    }

    /** The files of the four that are missing in {@code dir}. */
    public static List<String> missing(Path dir) {
        return FILES.stream().filter(f -> !Files.isRegularFile(dir.resolve(f))).toList();
    }

    /** Loads and validates the four files (28x28 images, 10 classes). */
    public static Dataset.Split load(Path dir) throws IOException {
        Dataset train = Idx.read("fashion-mnist train", dir.resolve(FILES.get(0)), dir.resolve(FILES.get(1)), 28, 28, 10);
        Dataset test = Idx.read("fashion-mnist test", dir.resolve(FILES.get(2)), dir.resolve(FILES.get(3)), 28, 28, 10);
        return new Dataset.Split(train, test, false);
    }

    /** Loads from {@code dir} when all files are there, else empty. */
    public static Optional<Dataset.Split> loadIfPresent(Path dir) throws IOException {
        return present(dir) ? Optional.of(load(dir)) : Optional.empty();
    }
}
