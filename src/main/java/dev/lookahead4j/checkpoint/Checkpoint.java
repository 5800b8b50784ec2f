package dev.lookahead4j.checkpoint;

import static dev.lookahead4j.checkpoint.CheckpointException.Reason.*;

import dev.lookahead4j.internal.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A lookahead4j checkpoint file, opened for reading: a
 * <a href="https://github.com/huggingface/safetensors">safetensors</a> file whose tensors are
 * one-dimensional float32 arrays named {@code <kind>/<parameter>} (e.g. {@code params/fc1.weight},
 * {@code exp_avg/fc1.weight}, {@code slow/fc1.weight}) and whose {@code __metadata__} holds the format
 * version, the optimizer configuration and counters (as JSON strings) and a CRC32C per tensor.
 *
 * <p>{@link #open(Path)} reads and checks the whole header before it returns: the length prefix against
 * the file size and {@link #MAX_HEADER_BYTES}, the JSON, the format and version, the metadata checksum and
 * every tensor entry (dtype F32, shape [n] matching its byte range, offsets inside the data section,
 * contiguous, no overlap, no trailing bytes). Tensor bytes are checked against their CRC32C when they are
 * read ({@link #read(String)}, {@link #verify()}). Every failed check is a {@link CheckpointException}
 * whose {@link CheckpointException#reason() reason} and {@link CheckpointException#field() field} say what
 * was wrong. The layout is described in {@code docs/CHECKPOINTS.md}.
 *
 * <p>To load a checkpoint into an optimizer use {@link dev.lookahead4j.Optimizer#load(Path)}; this class
 * is for inspecting one. Not thread-safe; close it after use.
 */
public final class Checkpoint implements AutoCloseable {
    /** The value of {@code __metadata__.format}. */
    public static final String FORMAT = "lookahead4j.checkpoint";
    /** The format version this build writes and the only one it reads. */
    public static final int FORMAT_VERSION = 1;
    /** Largest header accepted (the limit the reference safetensors implementation uses). */
    public static final long MAX_HEADER_BYTES = 100L << 20;
    /** Largest tensor, in elements (one Java array). */
    public static final long MAX_TENSOR_ELEMENTS = Integer.MAX_VALUE - 64;

    static final int CHUNK_BYTES = 1 << 20;

    /** A tensor's entry in the header. */
    public record TensorInfo(String name, long size, long begin, long end) { }

    private final SeekableByteChannel channel;
    private final String source;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final Map<String, Object> config;
    private final Map<String, Object> state;
    private final Map<String, Integer> checksums;

    private Checkpoint(SeekableByteChannel channel, String source, long dataStart, Map<String, TensorInfo> tensors,
                       Map<String, String> metadata, Map<String, Object> config, Map<String, Object> state,
                       Map<String, Integer> checksums) {
        this.channel = channel;
        this.source = source;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
        this.config = config;
        this.state = state;
        this.checksums = checksums;
    }

    /** Opens {@code path} and checks its header (not yet the tensor checksums: see {@link #verify()}). */
    public static Checkpoint open(Path path) throws IOException {
        if (path == null) throw new IllegalArgumentException("Invalid path: null");
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return open(ch, path.toString());
        } catch (IOException | RuntimeException | Error e) {
            ch.close();
            throw e;
        }
    }

    /** Opens a checkpoint held by {@code channel} (positioned anywhere; read from 0); owns the channel. */
    static Checkpoint open(SeekableByteChannel channel, String source) throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw new CheckpointException(TRUNCATED, "header length", source + ": " + fileSize + " bytes, less than the 8-byte header length");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, 0, lenBuf);
        long n = lenBuf.getLong(0);
        if (n < 2 || n > MAX_HEADER_BYTES || n > fileSize - 8) {
            throw new CheckpointException(HEADER_LENGTH, "header length", source + ": header length " + Long.toUnsignedString(n)
                    + " is outside [2, min(" + MAX_HEADER_BYTES + ", file size " + fileSize + " - 8)]: a truncated or corrupt file");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) n);
        readFully(channel, 8, hb);
        String text;
        try {
            CharBuffer cb = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(hb.flip());
            text = cb.toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(HEADER_FORMAT, "header", source + ": the header is not valid UTF-8", e);
        }
        Map<String, Object> header = asObject(parseJson(text, "header", source), "header", source);

        // Format and version first: a future version may lay out everything else differently.
        Object metaObj = header.get("__metadata__");
        if (metaObj == null) {
            throw new CheckpointException(VERSION, "__metadata__", source + ": no __metadata__; a safetensors file, but not a " + FORMAT + " (version " + FORMAT_VERSION + ")");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : asObject(metaObj, "__metadata__", source).entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new CheckpointException(HEADER_FORMAT, "__metadata__." + e.getKey(), source + ": metadata values must be strings, got " + describe(e.getValue()));
            }
            meta.put(e.getKey(), s);
        }
        if (!FORMAT.equals(meta.get("format"))) {
            throw new CheckpointException(VERSION, "__metadata__.format", source + ": format is " + quoted(meta.get("format")) + ", expected \"" + FORMAT + "\"");
        }
        String version = meta.get("format_version");
        if (!String.valueOf(FORMAT_VERSION).equals(version)) {
            throw new CheckpointException(VERSION, "__metadata__.format_version", source + ": format version " + quoted(version)
                    + "; this build reads version " + FORMAT_VERSION + " only");
        }
        String configText = requireMeta(meta, "config", source);
        String stateText = requireMeta(meta, "state", source);
        String crcText = requireMeta(meta, "crc32c", source);
        int metaCrc = parseCrc(requireMeta(meta, "metadata_crc32c", source), "__metadata__.metadata_crc32c", source);
        int actual = metadataCrc(version, configText, stateText, crcText);
        if (actual != metaCrc) {
            throw new CheckpointException(CHECKSUM, "__metadata__", source + ": metadata CRC32C is " + hex(actual) + ", the file says " + hex(metaCrc)
                    + " (the configuration or counters were altered)");
        }
        Map<String, Object> config = asObject(parseJson(configText, "__metadata__.config", source), "__metadata__.config", source);
        Map<String, Object> state = asObject(parseJson(stateText, "__metadata__.state", source), "__metadata__.state", source);
        Map<String, Integer> crcs = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : asObject(parseJson(crcText, "__metadata__.crc32c", source), "__metadata__.crc32c", source).entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new CheckpointException(HEADER_FORMAT, "crc32c." + e.getKey(), source + ": expected an 8-digit hex string, got " + describe(e.getValue()));
            }
            crcs.put(e.getKey(), parseCrc(s, "crc32c." + e.getKey(), source));
        }

        // Tensor entries.
        long dataLen = fileSize - 8 - n;
        List<TensorInfo> list = new ArrayList<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) continue;
            Map<String, Object> t = asObject(e.getValue(), name, source);
            for (String k : t.keySet()) {
                if (!k.equals("dtype") && !k.equals("shape") && !k.equals("data_offsets")) {
                    throw new CheckpointException(HEADER_FORMAT, name + "." + k, source + ": unknown tensor field (expected dtype, shape, data_offsets)");
                }
            }
            Object dtype = t.get("dtype");
            if (!"F32".equals(dtype)) {
                throw new CheckpointException(DTYPE, name + ".dtype", source + ": dtype " + describe(dtype) + "; only F32 is supported");
            }
            if (!(t.get("shape") instanceof List<?> shape) || shape.size() != 1 || !(shape.get(0) instanceof Long size)
                    || size < 0 || size > MAX_TENSOR_ELEMENTS) {
                throw new CheckpointException(SHAPE, name + ".shape", source + ": shape " + describe(t.get("shape"))
                        + "; expected [n] with 0 <= n <= " + MAX_TENSOR_ELEMENTS);
            }
            if (!(t.get("data_offsets") instanceof List<?> off) || off.size() != 2 || !(off.get(0) instanceof Long begin)
                    || !(off.get(1) instanceof Long end) || begin < 0 || end < begin) {
                throw new CheckpointException(OFFSETS, name + ".data_offsets", source + ": data_offsets " + describe(t.get("data_offsets"))
                        + "; expected [begin, end] with 0 <= begin <= end");
            }
            if (end - begin != size * 4) {
                throw new CheckpointException(SHAPE, name + ".shape", source + ": shape [" + size + "] needs " + size * 4
                        + " bytes, data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
            }
            if (!crcs.containsKey(name)) {
                throw new CheckpointException(HEADER_FORMAT, "crc32c." + name, source + ": no CRC32C for tensor '" + name + "'");
            }
            list.add(new TensorInfo(name, size, begin, end));
        }
        for (String name : crcs.keySet()) {
            if (!header.containsKey(name) || name.equals("__metadata__")) {
                throw new CheckpointException(HEADER_FORMAT, "crc32c." + name, source + ": a CRC32C for tensor '" + name + "', which the header does not have");
            }
        }
        List<TensorInfo> sorted = new ArrayList<>(list);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long pos = 0;
        TensorInfo prev = null;
        for (TensorInfo t : sorted) {
            if (t.begin() < pos) {
                throw new CheckpointException(OVERLAP, t.name() + ".data_offsets", source + ": bytes [" + t.begin() + ", " + t.end()
                        + ") overlap tensor '" + prev.name() + "' [" + prev.begin() + ", " + prev.end() + ")");
            }
            if (t.begin() > pos) {
                throw new CheckpointException(OFFSETS, t.name() + ".data_offsets", source + ": begins at " + t.begin() + " but the previous tensor ends at "
                        + pos + "; tensors must cover the data section without gaps");
            }
            pos = t.end();
            prev = t;
        }
        if (pos > dataLen) {
            throw new CheckpointException(TRUNCATED, prev.name(), source + ": the tensors need " + pos + " data bytes, the file has " + dataLen
                    + " (file size " + fileSize + "): the file is truncated");
        }
        if (pos < dataLen) {
            throw new CheckpointException(TRAILING_DATA, "data", source + ": " + (dataLen - pos) + " bytes after the last tensor (data section "
                    + dataLen + " bytes, tensors cover " + pos + ")");
        }
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (TensorInfo t : list) byName.put(t.name(), t);
        return new Checkpoint(channel, source, 8 + n, Collections.unmodifiableMap(byName), Collections.unmodifiableMap(meta),
                config, state, crcs);
    }

    // ------------------------------------------------------------------ accessors

    /** The file (or source) this was opened from. */
    public String source() { return source; }

    /** The format version (always {@link #FORMAT_VERSION} for a file that opened). */
    public int formatVersion() { return FORMAT_VERSION; }

    /** The raw {@code __metadata__} (string values). */
    public Map<String, String> metadata() { return metadata; }

    /** The optimizer configuration: {@code inner}, {@code lookahead}, {@code non_finite_policy}, {@code groups}. */
    public Map<String, Object> config() { return Collections.unmodifiableMap(config); }

    /** The counters: {@code step_count}, {@code slow_ready}, {@code lookahead_cycle_position}, {@code host_state}, ... */
    public Map<String, Object> state() { return Collections.unmodifiableMap(state); }

    /** The tensors in header order. */
    public Map<String, TensorInfo> tensors() { return tensors; }

    /** The stored CRC32C of tensor {@code name}. */
    public int checksum(String name) {
        info(name);
        return checksums.get(name);
    }

    /** Reads tensor {@code name} and checks its CRC32C. */
    public float[] read(String name) throws IOException {
        TensorInfo t = info(name);
        float[] out = new float[(int) t.size()];
        readInto(t, out);
        return out;
    }

    /** Reads every tensor in chunks and checks its CRC32C; keeps nothing in memory. */
    public void verify() throws IOException {
        for (TensorInfo t : tensors.values()) readInto(t, null);
    }

    private TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("Unknown tensor: '" + name + "' (" + tensors.size() + " tensors in " + source + ")");
        return t;
    }

    /** Streams tensor {@code t} through CRC32C, into {@code out} when not null. */
    void readInto(TensorInfo t, float[] out) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK_BYTES, Math.max(4, t.end() - t.begin()))).order(ByteOrder.LITTLE_ENDIAN);
        CRC32C crc = new CRC32C();
        long pos = dataStart + t.begin(), end = dataStart + t.end();
        int k = 0;
        while (pos < end) {
            buf.clear();
            buf.limit((int) Math.min(buf.capacity(), end - pos));
            readFully(channel, pos, buf);
            buf.flip();
            crc.update(buf.duplicate());
            int floats = buf.remaining() / 4;
            if (out != null) buf.asFloatBuffer().get(out, k, floats);
            k += floats;
            pos += buf.limit();
        }
        int expected = checksums.get(t.name());
        if ((int) crc.getValue() != expected) {
            throw new CheckpointException(CHECKSUM, t.name(), source + ": CRC32C of the tensor's bytes is " + hex((int) crc.getValue())
                    + ", the header says " + hex(expected));
        }
    }

    @Override
    public void close() throws IOException { channel.close(); }

    // ------------------------------------------------------------------ helpers (shared with the writer)

    static int metadataCrc(String version, String config, String state, String crcs) {
        CRC32C c = new CRC32C();
        c.update((version + "\n" + config + "\n" + state + "\n" + crcs).getBytes(StandardCharsets.UTF_8));
        return (int) c.getValue();
    }

    static String hex(int crc) { return String.format("%08x", crc); }

    private static int parseCrc(String s, String field, String source) throws CheckpointException {
        if (s.length() != 8) throw new CheckpointException(HEADER_FORMAT, field, source + ": expected 8 hex digits, got " + quoted(s));
        for (int i = 0; i < 8; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) throw new CheckpointException(HEADER_FORMAT, field, source + ": expected 8 hex digits, got " + quoted(s));
        }
        return (int) Long.parseLong(s, 16);
    }

    private static String requireMeta(Map<String, String> meta, String key, String source) throws CheckpointException {
        String v = meta.get(key);
        if (v == null) throw new CheckpointException(HEADER_FORMAT, "__metadata__." + key, source + ": missing");
        return v;
    }

    private static Object parseJson(String text, String field, String source) throws CheckpointException {
        try {
            return Json.parse(text);
        } catch (Json.JsonException e) {
            throw new CheckpointException(HEADER_FORMAT, field, source + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asObject(Object o, String field, String source) throws CheckpointException {
        if (!(o instanceof Map)) throw new CheckpointException(HEADER_FORMAT, field, source + ": expected a JSON object, got " + describe(o));
        return (Map<String, Object>) o;
    }

    static String describe(Object v) {
        if (v == null) return "nothing (null or missing)";
        String s = v instanceof String str ? quoted(str) : Json.write(v);
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }

    private static String quoted(String s) {
        if (s == null) return "missing";
        return "\"" + (s.length() > 40 ? s.substring(0, 37) + "..." : s) + "\"";
    }

    private static void readFully(SeekableByteChannel ch, long position, ByteBuffer dst) throws IOException {
        ch.position(position);
        while (dst.hasRemaining()) {
            if (ch.read(dst) < 0) {
                throw new CheckpointException(TRUNCATED, "file", "the file ended at byte " + ch.position() + " while reading (it shrank while open?)");
            }
        }
    }
}
