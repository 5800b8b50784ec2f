package dev.lookahead4j.checkpoint;

import dev.lookahead4j.internal.Json;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Consumer;

/** Builds hostile checkpoints from valid ones: header edits with the metadata checksum recomputed. */
final class Crafted {
    private Crafted() { }

    static long headerLength(byte[] file) {
        return ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> header(byte[] file) {
        int n = (int) headerLength(file);
        return (Map<String, Object>) Json.parse(new String(file, 8, n, StandardCharsets.UTF_8));
    }

    /** Parses the header, applies {@code edit}, reseals the metadata CRC and re-assembles the file. */
    static byte[] rewriteHeader(byte[] file, Consumer<Map<String, Object>> edit) {
        Map<String, Object> h = header(file);
        edit.accept(h);
        return assemble(h, file, 8 + (int) headerLength(file));
    }

    /**
     * Best effort: when {@code file} has a parseable header with the four metadata strings, returns it with
     * a correct metadata CRC (so that a fuzzer's edits of the configuration reach the configuration checks);
     * otherwise returns {@code file} unchanged.
     */
    @SuppressWarnings("unchecked")
    static byte[] resealed(byte[] file) {
        try {
            if (file.length < 8) return file;
            long n = headerLength(file);
            if (n < 2 || n > file.length - 8) return file;
            Object h = Json.parse(new String(file, 8, (int) n, StandardCharsets.UTF_8));
            if (!(h instanceof Map)) return file;
            return assemble((Map<String, Object>) h, file, 8 + (int) n);
        } catch (RuntimeException e) {
            return file;
        }
    }

    @SuppressWarnings("unchecked")
    private static byte[] assemble(Map<String, Object> h, byte[] file, int dataStart) {
        if (h.get("__metadata__") instanceof Map<?, ?> mo) {
            Map<String, Object> m = (Map<String, Object>) mo;
            if (m.get("format_version") instanceof String v && m.get("config") instanceof String c
                    && m.get("state") instanceof String s && m.get("crc32c") instanceof String k) {
                m.put("metadata_crc32c", Checkpoint.hex(Checkpoint.metadataCrc(v, c, s, k)));
            }
        }
        byte[] json = Json.write(h).getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + file.length - dataStart).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length).put(json).put(file, dataStart, file.length - dataStart);
        return out.array();
    }
}
