package dev.lookahead4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.cli.Main;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code train} command end to end on tiny embedded data (about a second). */
class TrainCommandTest {
    @TempDir
    Path dir;

    record Run(int rc, String out, String err) { }

    static synchronized Run cli(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int rc = Main.execute(args);
            return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void tinyRunPrintsTablesAndWritesLogAndPlot() throws Exception {
        Path out = dir.resolve("out");
        Run r = cli("train", "--embedded", "--epochs", "2", "--hidden", "16,8", "--batch-size", "32", "--train-samples", "256",
                "--test-samples", "64", "--device", "cpu", "--threads", "2", "--progress", "on", "--out", out.toString());
        assertEquals(0, r.rc(), r.out() + r.err());
        String o = r.out();
        assertTrue(o.contains("model: MLP 784-16-8-10"), o);
        assertTrue(o.contains("run") && o.contains("train loss") && o.contains("samples/s"), o);
        assertEquals(4, o.lines().filter(l -> l.matches("(adam|lookahead)\\S* +[12] +.*%.*")).count(), o);
        assertTrue(o.contains("Comparison (embedded synthetic data"), o);
        assertTrue(o.lines().anyMatch(l -> l.startsWith("final test acc") && l.split("%").length >= 2), o);
        assertTrue(o.contains("evaluated on") && o.contains("slow weights"), o);
        assertTrue(o.contains("apt-get install dataset-fashion-mnist"), "says how to get the real data");
        assertTrue(r.err().contains("batches"), "progress bar on stderr: " + r.err());

        List<String> csv = Files.readAllLines(out.resolve("train-log.csv"));
        assertEquals(1 + 4, csv.size(), csv.toString());
        assertTrue(csv.get(0).startsWith("run,epoch,train_loss,test_loss,test_accuracy"));
        assertTrue(csv.get(3).startsWith("\"lookahead(adam(lr=0.001),k=5,alpha=0.5)\",1,"), csv.get(3));
        String json = Files.readString(out.resolve("train-log.json"));
        assertTrue(json.contains("\"runs\":[") && json.contains("\"evaluated_on\":\"slow weights\"") && json.contains("train_loss_curve"), json);
        byte[] png = Files.readAllBytes(out.resolve("train-curves.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
        BufferedImage img = ImageIO.read(out.resolve("train-curves.png").toFile());
        assertTrue(img.getWidth() >= 1000 && img.getHeight() >= 400, img.getWidth() + "x" + img.getHeight());
    }

    @Test
    void cudaRequestWithoutAUsableGpuSaysWhyAndRunsOnTheCpu() {
        Run r = cli("train", "--embedded", "--device", "cuda", "--epochs", "1", "--hidden", "8", "--train-samples", "64",
                "--test-samples", "16", "--compare", "inner", "--progress", "off", "--out", dir.toString());
        assertEquals(0, r.rc(), r.out() + r.err());
        String note = r.out().lines().filter(l -> l.startsWith("note: --device cuda:")).findFirst().orElse("");
        boolean onGpu = r.out().lines().anyMatch(l -> l.startsWith("data: ") && l.contains(", device cuda:"));
        if (!onGpu) {
            // no GPU here, or no libcublas.so.12: one line saying which, then the CPU model
            assertTrue(note.endsWith("; the model and optimizer run on the CPU"), r.out());
            assertTrue(note.contains("no usable CUDA device (") || note.contains("JCublas "), note);
            CublasProbe.unavailableReason().ifPresent(why -> assertTrue(why.startsWith("JCublas ") && !why.contains("\n"), why));
            assertTrue(r.out().lines().anyMatch(l -> l.matches("data: .*, cpu \\d+ threads")), r.out());
        } else {
            assertEquals("", note, "on a usable GPU there is no note");
        }
        assertEquals(1, r.out().lines().filter(l -> l.matches("adam\\(lr=0\\.001\\) +1 .*")).count(), "--compare inner: one run");
    }

    @Test
    void explicitDataDirectoryWithoutFilesIsBadInput() {
        Run r = cli("train", "--data", dir.resolve("nothing").toString(), "--out", dir.toString());
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("Invalid --data") && r.err().contains("train-images-idx3-ubyte.gz"), r.err());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--optimizer=adamx        | unknown optimizer 'adamx'",
        "--k=0                    | Invalid --k: 0 (must be >= 1)",
        "--alpha=1.5              | Invalid --alpha: 1.5 (must be in [0, 1])",
        "--pullback=sometimes     | Invalid --pullback",
        "--compare=all            | Invalid --compare: 'all' (both, inner or lookahead)",
        "--device=tpu             | Invalid --device: 'tpu'",
        "--batch-size=0           | Invalid --batch-size: 0",
        "--epochs=0               | Invalid --epochs: 0",
        "--hidden=16,-3           | Invalid --hidden width: -3",
        "--threads=0              | Invalid --threads: 0",
        "--progress=maybe         | Invalid --progress",
        "--train-samples=0        | Invalid --train-samples: 0",
    })
    void badOptionsExitTwoNamingTheOption(String option, String message) {
        Run r = cli("train", "--embedded", option, "--out", dir.toString());
        assertEquals(2, r.rc(), r.out() + r.err());
        assertTrue(r.err().contains(message), r.err());
    }
}
