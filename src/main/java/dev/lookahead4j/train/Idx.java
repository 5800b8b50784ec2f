package dev.lookahead4j.train;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads the IDX files of MNIST and Fashion-MNIST (gzip-compressed when the name ends in {@code .gz}):
 * a big-endian header (magic 2051 and count, rows, cols for images; magic 2049 and count for labels)
 * then unsigned bytes. Every problem is an {@link IdxFormatException} naming the file.
 */
public final class Idx {
    /** Magic number of an unsigned-byte 3-dimensional (images) file. */
    public static final int IMAGES_MAGIC = 2051;
    /** Magic number of an unsigned-byte 1-dimensional (labels) file. */
    public static final int LABELS_MAGIC = 2049;
    private static final int MAX_COUNT = 10_000_000;
    private static final int MAX_SIDE = 4096;

    private Idx() { }

    /** A malformed, truncated or inconsistent IDX file; the message names the file. */
    public static final class IdxFormatException extends IllegalArgumentException {
        IdxFormatException(Path file, String message) { super(file + ": " + message); }
    }

    /** Images: count, rows, cols and the pixels. */
    public record Images(int count, int rows, int cols, byte[] pixels) { }

    /** Reads an images file (magic 2051). */
    public static Images readImages(Path file) throws IOException {
        try (DataInputStream in = open(file)) {
            int magic = header(file, in, "magic number");
            if (magic != IMAGES_MAGIC) {
                throw new IdxFormatException(file, "magic number " + magic + ", expected " + IMAGES_MAGIC + " (an IDX images file)"
                        + (magic == LABELS_MAGIC ? "; this is a labels file" : ""));
            }
            int count = header(file, in, "image count");
            int rows = header(file, in, "row count");
            int cols = header(file, in, "column count");
            if (count < 1 || count > MAX_COUNT) throw new IdxFormatException(file, "image count " + count + " (must be in [1, " + MAX_COUNT + "])");
            if (rows < 1 || rows > MAX_SIDE || cols < 1 || cols > MAX_SIDE) {
                throw new IdxFormatException(file, "image size " + rows + "x" + cols + " (each side must be in [1, " + MAX_SIDE + "])");
            }
            long n = (long) count * rows * cols;
            if (n > Integer.MAX_VALUE - 16) throw new IdxFormatException(file, "too large: " + n + " pixels");
            byte[] pixels = body(file, in, (int) n, count + " images of " + rows + "x" + cols);
            return new Images(count, rows, cols, pixels);
        }
    }

    /** Reads a labels file (magic 2049). */
    public static byte[] readLabels(Path file) throws IOException {
        try (DataInputStream in = open(file)) {
            int magic = header(file, in, "magic number");
            if (magic != LABELS_MAGIC) {
                throw new IdxFormatException(file, "magic number " + magic + ", expected " + LABELS_MAGIC + " (an IDX labels file)"
                        + (magic == IMAGES_MAGIC ? "; this is an images file" : ""));
            }
            int count = header(file, in, "label count");
            if (count < 1 || count > MAX_COUNT) throw new IdxFormatException(file, "label count " + count + " (must be in [1, " + MAX_COUNT + "])");
            return body(file, in, count, count + " labels");
        }
    }

    /**
     * Reads an images file and a labels file into a dataset, checking the counts agree, the images are
     * {@code rows x cols} when those are positive, and every label is below {@code classes}.
     */
    public static Dataset read(String name, Path images, Path labels, int rows, int cols, int classes) throws IOException {
        Images im = readImages(images);
        byte[] lb = readLabels(labels);
        if (rows > 0 && (im.rows() != rows || im.cols() != cols)) {
            throw new IdxFormatException(images, "images are " + im.rows() + "x" + im.cols() + ", expected " + rows + "x" + cols);
        }
        if (lb.length != im.count()) {
            throw new IdxFormatException(labels, lb.length + " labels but " + images.getFileName() + " has " + im.count() + " images");
        }
        for (int s = 0; s < lb.length; s++) {
            if ((lb[s] & 0xff) >= classes) throw new IdxFormatException(labels, "label " + (lb[s] & 0xff) + " of sample " + s + " is not in [0, " + classes + ")");
        }
        return new Dataset(name, im.pixels(), lb, im.count(), im.rows(), im.cols(), classes);
    }

    private static DataInputStream open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new java.nio.file.NoSuchFileException(file.toString());
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        if (file.getFileName().toString().endsWith(".gz")) {
            try {
                raw = new GZIPInputStream(raw, 1 << 16);
            } catch (ZipException | EOFException e) {
                raw.close();
                throw new IdxFormatException(file, "not a gzip file or truncated (" + e.getMessage() + ")");
            }
        }
        return new DataInputStream(raw);
    }

    private static int header(Path file, DataInputStream in, String what) throws IOException {
        try {
            return in.readInt();
        } catch (EOFException e) {
            throw new IdxFormatException(file, "truncated: ends inside the header (reading the " + what + ")");
        } catch (ZipException e) {
            throw new IdxFormatException(file, "corrupt gzip data (" + e.getMessage() + ")");
        }
    }

    private static byte[] body(Path file, DataInputStream in, int n, String what) throws IOException {
        byte[] b = new byte[n];
        int got = 0;
        try {
            while (got < n) {
                int r = in.read(b, got, n - got);
                if (r < 0) break;
                got += r;
            }
        } catch (EOFException e) {
            // fall through: reported below with the count
        } catch (ZipException e) {
            throw new IdxFormatException(file, "corrupt gzip data after " + got + " of " + n + " data bytes (" + e.getMessage() + ")");
        }
        if (got < n) throw new IdxFormatException(file, "truncated: " + got + " of " + n + " data bytes (header says " + what + ")");
        if (in.read() >= 0) throw new IdxFormatException(file, "trailing bytes after the " + n + " data bytes the header announces (" + what + ")");
        return b;
    }
}
