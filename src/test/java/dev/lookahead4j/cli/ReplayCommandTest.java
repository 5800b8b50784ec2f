package dev.lookahead4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.replay.ReferenceCase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** replay writes result files that hold the golden trajectories; malformed cases exit 2 naming file and field. */
class ReplayCommandTest {
    @TempDir Path tmp;

    static Path golden(String name) throws Exception {
        return Path.of(ReplayCommandTest.class.getResource("/reference/" + name).toURI());
    }

    @Test
    void writesResultFilesThatMatchTheGolden() throws Exception {
        Path out = tmp.resolve("out");
        int rc = Main.execute("replay", golden("p06_adam_la5.json").toString(), golden("p11_sgd_mom_la1.json").toString(), "--out", out.toString());
        assertEquals(0, rc);
        for (String n : new String[] {"p06_adam_la5", "p11_sgd_mom_la1"}) assertResultHoldsTheGolden(out, n);
    }

    /** The result file {@code out/NAME.json} holds every golden parameter and slow-weight tensor of case NAME. */
    static void assertResultHoldsTheGolden(Path out, String name) throws Exception {
        ReferenceCase gold = ReferenceCase.load(golden(name + ".json"));
        String written = Files.readString(out.resolve(name + ".json"));
        for (var e : gold.expectParams.entrySet()) {
            for (var t : e.getValue().entrySet()) {
                assertTrue(written.contains(ReferenceCase.base64(t.getValue())), name + " params step " + e.getKey() + " " + t.getKey());
            }
        }
        for (var e : gold.expectSlow.entrySet()) {
            for (var t : e.getValue().entrySet()) {
                assertTrue(written.contains(ReferenceCase.base64(t.getValue())), name + " slow step " + e.getKey() + " " + t.getKey());
            }
        }
    }

    @Test
    void malformedCaseExitsTwoNamingFileAndField() throws Exception {
        String text = Files.readString(golden("p05_adam.json"));
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, text.replaceFirst("\"betas\": \\[\\s*0.9,\\s*0.999\\s*\\]", "\"betas\": [0.9]"));
        Path bad2 = tmp.resolve("bad2.json");
        Files.writeString(bad2, text.replaceFirst("\"steps\": *\\d+", "\"steps\": -4"));
        Path bad3 = tmp.resolve("bad3.json");
        Files.writeString(bad3, text.substring(0, text.length() / 2));
        Path bad4 = tmp.resolve("bad4.json");
        Files.writeString(bad4, text.replaceFirst("\"grads\": \\{\\s*\"w\": \"", "\"grads\": {\"w\": \"AAAA"));
        assertMessage(bad, "inner: inner.betas: expected [beta1, beta2], got [0.9]");
        assertMessage(bad2, "steps: expected an integer in [1, 10000000], got -4");
        assertMessage(bad3, "(json)");
        assertMessage(bad4, "grads.w: expected 1280 float32 values");
        assertMessage(tmp.resolve("missing.json"), "no such file");
    }

    private void assertMessage(Path file, String field) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Main.execute("replay", file.toString(), "--out", tmp.resolve("o").toString());
        } finally {
            System.setErr(old);
        }
        String msg = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, rc, msg);
        assertTrue(msg.contains(file.toString() + ": " + field), msg);
    }
}
