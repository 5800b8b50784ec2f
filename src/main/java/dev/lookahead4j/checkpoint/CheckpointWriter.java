package dev.lookahead4j.checkpoint;

import dev.lookahead4j.internal.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Writes a checkpoint: tensors streamed in chunks into a temporary file in the target's directory, the
 * header written last (its CRC32C fields have a fixed width, so its length is known up front), then
 * {@code force(true)}, an atomic rename over the target and a sync of the directory. A failure at any point
 * deletes the temporary file and leaves an existing checkpoint under the target name untouched.
 */
final class CheckpointWriter {
    private CheckpointWriter() { }

    /** Reads {@code len} floats of a tensor starting at element {@code offset} into {@code dst[0..len)}. */
    interface Source {
        void read(long offset, float[] dst, int len);
    }

    /** One tensor to write. */
    record Tensor(String name, long size, Source source) { }

    /** Test hook: called after each chunk is written to the temporary file (null in production). */
    static volatile Runnable afterChunk;

    static void write(Path target, Map<String, Object> config, Map<String, Object> state, List<Tensor> tensors) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null) throw new IllegalArgumentException("Invalid path: " + target + " (no parent directory)");
        if (Files.isDirectory(abs)) throw new IllegalArgumentException("Invalid path: " + target + " is a directory");
        String configText = Json.write(config);
        String stateText = Json.write(state);
        Map<String, String> zeroCrcs = new LinkedHashMap<>();
        for (Tensor t : tensors) zeroCrcs.put(t.name(), Checkpoint.hex(0));
        byte[] header = header(configText, stateText, zeroCrcs, tensors);

        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        boolean done = false;
        try {
            Map<String, String> crcs = new LinkedHashMap<>();
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer bytes = ByteBuffer.allocate(Checkpoint.CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                float[] floats = new float[Checkpoint.CHUNK_BYTES / 4];
                long pos = 8 + header.length;
                for (Tensor t : tensors) {
                    CRC32C crc = new CRC32C();
                    for (long off = 0; off < t.size(); ) {
                        int len = (int) Math.min(floats.length, t.size() - off);
                        t.source().read(off, floats, len);
                        bytes.clear();
                        bytes.asFloatBuffer().put(floats, 0, len);
                        bytes.limit(len * 4);
                        crc.update(bytes.duplicate());
                        pos += writeFully(ch, pos, bytes);
                        off += len;
                        Runnable hook = afterChunk;
                        if (hook != null) hook.run();
                    }
                    crcs.put(t.name(), Checkpoint.hex((int) crc.getValue()));
                }
                byte[] finalHeader = header(configText, stateText, crcs, tensors);
                if (finalHeader.length != header.length) throw new IllegalStateException("header length changed: " + header.length + " -> " + finalHeader.length);
                ByteBuffer head = ByteBuffer.allocate(8 + finalHeader.length).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(finalHeader.length).put(finalHeader).flip();
                writeFully(ch, 0, head);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot save " + target + " atomically: the file system does not support an atomic rename in " + dir, e);
            }
            done = true;
            syncDirectory(dir);
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure matters more
                }
            }
        }
    }

    /** The header JSON, padded with spaces to a multiple of 8 bytes (as the reference implementation does). */
    private static byte[] header(String configText, String stateText, Map<String, String> crcs, List<Tensor> tensors) {
        String crcText = Json.write(crcs);
        String version = String.valueOf(Checkpoint.FORMAT_VERSION);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("format", Checkpoint.FORMAT);
        meta.put("format_version", version);
        meta.put("config", configText);
        meta.put("state", stateText);
        meta.put("crc32c", crcText);
        meta.put("metadata_crc32c", Checkpoint.hex(Checkpoint.metadataCrc(version, configText, stateText, crcText)));
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("__metadata__", meta);
        long off = 0;
        for (Tensor t : tensors) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", "F32");
            e.put("shape", new long[] {t.size()});
            e.put("data_offsets", new long[] {off, off + t.size() * 4});
            off += t.size() * 4;
            h.put(t.name(), e);
        }
        byte[] json = Json.write(h).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) out[i] = ' ';
        return out;
    }

    private static int writeFully(FileChannel ch, long pos, ByteBuffer b) throws IOException {
        int n = b.remaining();
        while (b.hasRemaining()) pos += ch.write(b, pos);
        return n;
    }

    /** Makes the rename durable (Linux/macOS); file systems that cannot open a directory are skipped. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Windows cannot open directories; the rename itself is still atomic there
        }
    }
}
