package dev.lookahead4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    @TempDir
    Path dir;

    static byte[] images(int magic, int count, int rows, int cols, int dataBytes) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(magic);
        d.writeInt(count);
        d.writeInt(rows);
        d.writeInt(cols);
        for (int i = 0; i < dataBytes; i++) d.writeByte(i * 7);
        return b.toByteArray();
    }

    static byte[] labels(int magic, int count, int dataBytes, int mod) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(magic);
        d.writeInt(count);
        for (int i = 0; i < dataBytes; i++) d.writeByte(i % mod);
        return b.toByteArray();
    }

    Path write(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream o = name.endsWith(".gz") ? new GZIPOutputStream(Files.newOutputStream(p)) : Files.newOutputStream(p)) {
            o.write(content);
        }
        return p;
    }

    @Test
    void readsGoodGzipAndRawFiles() throws IOException {
        Path im = write("i.gz", images(2051, 3, 2, 4, 24));
        Path lb = write("l.gz", labels(2049, 3, 3, 10));
        Dataset d = Idx.read("tiny", im, lb, 2, 4, 10);
        assertEquals(3, d.count());
        assertEquals(8, d.pixels());
        assertEquals((byte) (5 * 7), d.images()[5]);
        assertArrayEquals(new byte[] {0, 1, 2}, d.labels());
        Path raw = write("i.raw", images(2051, 3, 2, 4, 24));
        assertArrayEquals(d.images(), Idx.readImages(raw).pixels());
        // gather scales to [0, 1] in the given order
        float[][] x = new float[2][8];
        byte[] y = new byte[2];
        d.gather(new int[] {2, 0}, 0, 2, x, y);
        assertEquals((16 * 7 & 0xff) / 255f, x[0][0]);
        assertEquals(d.images()[1] & 0xff, Math.round(x[1][1] * 255)); // batch row 1 is sample 0
        assertArrayEquals(new byte[] {2, 0}, y);
    }

    @Test
    void truncatedDataNamesTheFile() throws IOException {
        Path im = write("train-images.gz", images(2051, 3, 2, 4, 20));
        Idx.IdxFormatException e = assertThrows(Idx.IdxFormatException.class, () -> Idx.readImages(im));
        assertTrue(e.getMessage().contains("train-images.gz") && e.getMessage().contains("truncated: 20 of 24"), e.getMessage());
    }

    @Test
    void truncatedHeaderAndTruncatedGzipStream() throws IOException {
        Path h = write("short.gz", Arrays.copyOf(images(2051, 3, 2, 4, 0), 10));
        assertTrue(assertThrows(Idx.IdxFormatException.class, () -> Idx.readImages(h)).getMessage().contains("inside the header"));
        // a gzip file cut in the middle of its compressed stream
        Path good = write("whole.gz", images(2051, 50, 8, 8, 50 * 64));
        byte[] gz = Files.readAllBytes(good);
        Path cut = dir.resolve("cut.gz");
        Files.write(cut, Arrays.copyOf(gz, gz.length / 2));
        Idx.IdxFormatException e = assertThrows(Idx.IdxFormatException.class, () -> Idx.readImages(cut));
        assertTrue(e.getMessage().startsWith(cut.toString()), e.getMessage());
    }

    @Test
    void wrongMagicNumbers() throws IOException {
        Path lb = write("labels.gz", labels(2049, 3, 3, 10));
        Idx.IdxFormatException e = assertThrows(Idx.IdxFormatException.class, () -> Idx.readImages(lb));
        assertTrue(e.getMessage().contains("magic number 2049, expected 2051") && e.getMessage().contains("labels file"), e.getMessage());
        Path im = write("images.gz", images(2051, 3, 2, 4, 24));
        assertTrue(assertThrows(Idx.IdxFormatException.class, () -> Idx.readLabels(im)).getMessage().contains("expected 2049"));
        Path junk = write("junk.gz", images(1234, 3, 2, 4, 24));
        assertTrue(assertThrows(Idx.IdxFormatException.class, () -> Idx.readImages(junk)).getMessage().contains("magic number 1234"));
    }

    @Test
    void countMismatchSizeMismatchLabelRangeAndTrailingBytes() throws IOException {
        Path im = write("im.gz", images(2051, 3, 2, 4, 24));
        Path four = write("four.gz", labels(2049, 4, 4, 10));
        Idx.IdxFormatException e = assertThrows(Idx.IdxFormatException.class, () -> Idx.read("x", im, four, 2, 4, 10));
        assertTrue(e.getMessage().contains("four.gz") && e.getMessage().contains("4 labels but im.gz has 3 images"), e.getMessage());
        Path lb = write("lb.gz", labels(2049, 3, 3, 10));
        assertTrue(assertThrows(Idx.IdxFormatException.class, () -> Idx.read("x", im, lb, 28, 28, 10))
                .getMessage().contains("images are 2x4, expected 28x28"));
        Path big = write("big.gz", labels(2049, 3, 3, 200));
        Path bigLabels = write("biglabels.gz", new byte[] {0, 0, 8, 1, 0, 0, 0, 3, 0, 1, 12});
        assertTrue(assertThrows(Idx.IdxFormatException.class, () -> Idx.read("x", im, bigLabels, 2, 4, 10))
                .getMessage().contains("label 12 of sample 2"));
        assertEquals(3, Idx.readLabels(big).length);
        Path trailing = write("trail.gz", images(2051, 3, 2, 4, 25));
        assertTrue(assertThrows(Idx.IdxFormatException.class, () -> Idx.readImages(trailing)).getMessage().contains("trailing bytes"));
        Path zero = write("zero.gz", images(2051, 0, 2, 4, 0));
        assertTrue(assertThrows(Idx.IdxFormatException.class, () -> Idx.readImages(zero)).getMessage().contains("image count 0"));
    }

    @Test
    void fashionMnistDirectoryChecks() throws IOException {
        assertEquals(FashionMnist.FILES, FashionMnist.missing(dir));
        for (int i = 0; i < 4; i++) {
            boolean img = i % 2 == 0;
            write(FashionMnist.FILES.get(i), img ? images(2051, 2, 28, 28, 2 * 784) : labels(2049, 2, 2, 10));
        }
        assertTrue(FashionMnist.present(dir));
        Dataset.Split s = FashionMnist.load(dir);
        assertEquals(2, s.train().count());
        assertEquals(784, s.test().pixels());
    }
}
