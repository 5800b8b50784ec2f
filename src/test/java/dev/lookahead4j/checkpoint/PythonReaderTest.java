package dev.lookahead4j.checkpoint;

import static dev.lookahead4j.checkpoint.Fixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.Device;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.Param;
import dev.lookahead4j.ParamArena;
import dev.lookahead4j.internal.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint opens in Python: {@code src/test/python/read_safetensors.py} (standard library only) reads
 * the file, checks every tensor's CRC32C, and its names, shapes and values match what Java saved, bitwise.
 * Skipped, saying so, only when there is no python3.
 */
class PythonReaderTest {
    static final Path SCRIPT = Path.of("src", "test", "python", "read_safetensors.py");

    static boolean hasPython() {
        try {
            Process p = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    static Process python(Path file, Path out) throws Exception {
        Process p = new ProcessBuilder("python3", SCRIPT.toString(), file.toString()).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(out.resolveSibling("py.err").toFile())).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python timed out");
        return p;
    }

    @Test
    @SuppressWarnings("unchecked")
    void pythonReadsWhatJavaWrote(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(hasPython(), "python3 is not installed: the Python reader test is skipped");
        assertTrue(Files.exists(SCRIPT), SCRIPT.toAbsolutePath() + " missing");
        Path file = dir.resolve("ckpt.safetensors");
        try (Device d = Device.cpu(1); ParamArena a = arena(d); Optimizer o = optimizer(a, "adam_amsgrad", "la_pullback")) {
            init(a, 8);
            run(o, 8, 0, 7);
            o.save(file);
            Process p = python(file, dir.resolve("out.json"));
            assertEquals(0, p.exitValue(), Files.readString(dir.resolve("py.err")));
            Map<String, Object> out = (Map<String, Object>) Json.parse(Files.readString(dir.resolve("out.json")));
            Map<String, Object> meta = (Map<String, Object>) out.get("metadata");
            assertEquals(Checkpoint.FORMAT, meta.get("format"));
            Map<String, Object> config = (Map<String, Object>) Json.parse((String) meta.get("config"));
            assertEquals("adam", ((Map<String, Object>) config.get("inner")).get("type"));
            Map<String, Object> tensors = (Map<String, Object>) out.get("tensors");
            int expectedCount = a.params().size() * (1 + o.stateBuffers().size());
            assertEquals(expectedCount, tensors.size(), tensors.keySet().toString());
            for (Param par : a.params()) {
                check(tensors, "params/" + par.name(), a.values(par.name()));
                for (String s : o.stateBuffers().keySet()) {
                    check(tensors, s + "/" + par.name(), s.equals("slow") ? o.slowValues(par.name()) : o.stateValues(s, par.name()));
                }
            }
        }
        // and the reader is not a rubber stamp: a flipped data byte fails its CRC32C check
        byte[] b = Files.readAllBytes(file);
        b[b.length - 2] ^= 0x10;
        Path bad = dir.resolve("bad.safetensors");
        Files.write(bad, b);
        Process p = python(bad, dir.resolve("bad.json"));
        assertNotEquals(0, p.exitValue());
        assertTrue(Files.readString(dir.resolve("py.err")).contains("CRC32C mismatch"));
    }

    @SuppressWarnings("unchecked")
    static void check(Map<String, Object> tensors, String name, float[] expected) {
        Map<String, Object> t = (Map<String, Object>) tensors.get(name);
        assertTrue(t != null, "python did not see " + name);
        assertEquals("F32", t.get("dtype"));
        assertEquals(List.of((long) expected.length), t.get("shape"), name);
        List<Object> values = (List<Object>) t.get("values");
        assertEquals(expected.length, values.size(), name);
        for (int i = 0; i < expected.length; i++) {
            float got = ((Number) values.get(i)).floatValue();
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(got), name + "[" + i + "]: " + got + " vs " + expected[i]);
        }
    }
}
