package dev.lookahead4j.checkpoint;

import static dev.lookahead4j.checkpoint.CheckpointException.Reason.*;
import static dev.lookahead4j.checkpoint.Fixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lookahead4j.Device;
import dev.lookahead4j.Lookahead;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.ParamArena;
import dev.lookahead4j.Pullback;
import dev.lookahead4j.checkpoint.CheckpointException.Reason;
import dev.lookahead4j.internal.Json;
import dev.lookahead4j.optim.NAdam;
import dev.lookahead4j.optim.Sgd;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile checkpoints: each must fail with its specific {@link Reason} and leave the optimizer it was
 * loaded into bitwise unchanged (parameters, gradients, every state buffer, counters).
 */
class BadCheckpointTest {
    static Device device;
    static byte[] good;
    static Map<String, Object> goodState;
    @TempDir static Path dir;

    static final String RULE = "nadam", LA = "la_pullback";

    @BeforeAll
    static void makeGoodFile() throws IOException {
        device = Device.cpu(1);
        try (ParamArena a = arena(device); Optimizer o = optimizer(a, RULE, LA)) {
            init(a, 1);
            run(o, 1, 0, 7);
            Path f = dir.resolve("good.safetensors");
            o.save(f);
            good = Files.readAllBytes(f);
            goodState = stateSnapshot(o);
        }
    }

    @AfterAll static void close() { device.close(); }

    /** Loads {@code bytes} into a fresh optimizer with its own history; returns the exception (state checked). */
    static CheckpointException rejected(byte[] bytes, Function<ParamArena, Optimizer> build, Reason... allowed) throws IOException {
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, bytes);
        try (ParamArena a = arena2(device, build); Optimizer o = build.apply(a)) {
            init(a, 99);
            run(o, 99, 0, 3);
            grads(a, 99, 4); // gradients are part of what must not change
            Map<String, Object> before = snapshot(o);
            CheckpointException e = assertThrows(CheckpointException.class, () -> o.load(f));
            assertTrue(Arrays.asList(allowed).contains(e.reason()), "expected " + Arrays.toString(allowed) + ", got " + e.getMessage());
            assertFalse(e.field().isEmpty());
            assertTrue(e.getMessage().contains(e.field()), e.getMessage());
            assertSameState(before, snapshot(o), "after a rejected load (" + e.getMessage() + ")");
            return e;
        }
    }

    static ParamArena arena2(Device d, Function<ParamArena, Optimizer> build) { return arena(d); }

    static CheckpointException rejected(byte[] bytes, Reason... allowed) throws IOException {
        return rejected(bytes, a -> optimizer(a, RULE, LA), allowed);
    }

    static byte[] edit(Consumer<Map<String, Object>> e) { return Crafted.rewriteHeader(good, e); }

    @SuppressWarnings("unchecked")
    static Map<String, Object> tensor(Map<String, Object> h, String name) { return (Map<String, Object>) h.get(name); }

    @SuppressWarnings("unchecked")
    static Map<String, Object> meta(Map<String, Object> h) { return (Map<String, Object>) h.get("__metadata__"); }

    @SuppressWarnings("unchecked")
    static void editMetaJson(Map<String, Object> h, String key, Consumer<Map<String, Object>> e) {
        Map<String, Object> m = (Map<String, Object>) Json.parse((String) meta(h).get(key));
        e.accept(m);
        meta(h).put(key, Json.write(m));
    }

    @Test
    void goodFileLoads() throws IOException {
        Path f = dir.resolve("good-copy.safetensors");
        Files.write(f, good);
        try (ParamArena a = arena(device); Optimizer o = optimizer(a, RULE, LA)) {
            o.load(f);
            assertSameState(goodState, stateSnapshot(o), "good file");
        }
    }

    // ------------------------------------------------------------------ truncation

    static Reason truncationReason(long size) {
        long n = Crafted.headerLength(good);
        return size < 8 ? TRUNCATED : size < 8 + n ? HEADER_LENGTH : TRUNCATED;
    }

    @Test
    void truncatedAtEverySectionBoundary() throws IOException {
        long n = Crafted.headerLength(good);
        TreeSet<Long> cuts = new TreeSet<>(List.of(0L, 1L, 4L, 7L, 8L, 9L, 8 + n / 2, 8 + n - 1, 8 + n, 8 + n + 1, (long) good.length - 1));
        try (Checkpoint c = Checkpoint.open(new ByteArrayChannel(good), "good")) {
            for (Checkpoint.TensorInfo t : c.tensors().values()) {
                cuts.add(8 + n + t.begin());
                cuts.add(8 + n + (t.begin() + t.end()) / 2);
                cuts.add(8 + n + t.end() - 1);
            }
        }
        cuts.remove((long) good.length);
        for (long cut : cuts) rejected(Arrays.copyOf(good, (int) cut), truncationReason(cut));
        assertTrue(cuts.size() >= 60, "cuts: " + cuts.size()); // 20 tensors x 3 + the header boundaries
    }

    @Test
    void truncatedAtRandomPoints() throws IOException {
        Random r = new Random(5);
        for (int i = 0; i < 150; i++) {
            int cut = r.nextInt(good.length);
            rejected(Arrays.copyOf(good, cut), truncationReason(cut));
        }
    }

    @Test
    void trailingBytes() throws IOException {
        CheckpointException e = rejected(Arrays.copyOf(good, good.length + 3), TRAILING_DATA);
        assertTrue(e.getMessage().contains("3 bytes after the last tensor"), e.getMessage());
    }

    // ------------------------------------------------------------------ byte flips

    @Test
    void randomByteFlips() throws IOException {
        Random r = new Random(11);
        long dataStart = 8 + Crafted.headerLength(good);
        int detected = 0, benign = 0;
        for (int i = 0; i < 400; i++) {
            byte[] b = good.clone();
            int pos = i < 200 ? r.nextInt((int) dataStart) : (int) dataStart + r.nextInt((int) (good.length - dataStart));
            b[pos] ^= (byte) (1 + r.nextInt(255));
            if (pos >= dataStart) {
                rejected(b, CHECKSUM); // CRC32C catches every error within 32 bits
                detected++;
                continue;
            }
            Path f = dir.resolve("flip.safetensors");
            Files.write(f, b);
            try (ParamArena a = arena(device); Optimizer o = optimizer(a, RULE, LA)) {
                init(a, 99);
                run(o, 99, 0, 3);
                Map<String, Object> before = snapshot(o);
                try {
                    o.load(f);
                    // only a change that means nothing (JSON whitespace) may load, and then to the saved state
                    assertSameState(goodState, stateSnapshot(o), "flip at " + pos + " loaded");
                    benign++;
                } catch (CheckpointException e) {
                    assertSameState(before, snapshot(o), "flip at " + pos + " rejected: " + e.getMessage());
                    detected++;
                }
            }
        }
        assertTrue(benign <= 10, "benign flips: " + benign);
        assertEquals(400, detected + benign);
    }

    // ------------------------------------------------------------------ header fields

    static byte[] withHeaderLength(long n) {
        byte[] b = good.clone();
        ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(n);
        return b;
    }

    @Test
    void headerLengthOutOfBounds() throws IOException {
        for (long n : new long[] {good.length - 7, good.length, Long.MAX_VALUE, -1, Long.MIN_VALUE, 0, 1, Checkpoint.MAX_HEADER_BYTES + 1}) {
            CheckpointException e = rejected(withHeaderLength(n), HEADER_LENGTH);
            assertEquals("header length", e.field());
        }
        // a header that ends inside the JSON, or swallows part of the data
        rejected(withHeaderLength(Crafted.headerLength(good) - 9), HEADER_FORMAT);
        rejected(withHeaderLength(Crafted.headerLength(good) + 8), HEADER_FORMAT);
    }

    @Test
    void notJsonOrNotUtf8() throws IOException {
        byte[] b = good.clone();
        b[8] = '[';
        rejected(b, HEADER_FORMAT);
        b = good.clone();
        b[20] = (byte) 0xC3; // a lone UTF-8 lead byte
        b[21] = '"';
        rejected(b, HEADER_FORMAT);
        rejected(edit(h -> meta(h).put("config", "{not json")), HEADER_FORMAT);
        rejected(edit(h -> meta(h).put("state", 5)), HEADER_FORMAT);
    }

    @Test
    void overlappingAndOutOfRangeOffsets() throws IOException {
        CheckpointException e = rejected(edit(h -> tensor(h, "exp_avg/fc2.weight").put("data_offsets",
                List.of((Long) ((List<?>) tensor(h, "exp_avg/fc2.weight").get("data_offsets")).get(0) - 4,
                        (Long) ((List<?>) tensor(h, "exp_avg/fc2.weight").get("data_offsets")).get(1) - 4))), OVERLAP);
        assertEquals("exp_avg/fc2.weight.data_offsets", e.field());
        rejected(edit(h -> tensor(h, "params/fc1.bias").put("data_offsets", tensor(h, "params/fc1.weight").get("data_offsets"))), OVERLAP, SHAPE);
        rejected(edit(h -> tensor(h, "params/fc1.bias").put("data_offsets", List.of(40L, 12L))), OFFSETS);
        rejected(edit(h -> tensor(h, "params/fc1.bias").put("data_offsets", List.of(-4L, 24L))), OFFSETS);
        rejected(edit(h -> tensor(h, "params/fc1.bias").put("data_offsets", List.of(0L))), OFFSETS);
        // moved past the end of the file: a gap opens where it was
        rejected(edit(h -> tensor(h, "params/fc1.bias").put("data_offsets", List.of(1L << 40, (1L << 40) + 28))), OFFSETS);
    }

    @Test
    void wrongDtypeOrShape() throws IOException {
        for (String d : new String[] {"F16", "F64", "BF16", "I32", "f32"}) {
            assertEquals("exp_avg_sq/fc1.bias.dtype", rejected(edit(h -> tensor(h, "exp_avg_sq/fc1.bias").put("dtype", d)), DTYPE).field());
        }
        rejected(edit(h -> tensor(h, "slow/fc1.bias").remove("dtype")), DTYPE);
        rejected(edit(h -> tensor(h, "slow/fc1.bias").put("shape", List.of(8L))), SHAPE);
        rejected(edit(h -> tensor(h, "slow/fc1.bias").put("shape", List.of(1L, 7L))), SHAPE);
        rejected(edit(h -> tensor(h, "slow/fc1.bias").put("shape", List.of(-7L))), SHAPE);
        rejected(edit(h -> tensor(h, "slow/fc1.bias").put("shape", List.of(7.0))), SHAPE);
    }

    @Test
    void unknownVersionOrFormat() throws IOException {
        CheckpointException e = rejected(edit(h -> meta(h).put("format_version", "2")), VERSION);
        assertTrue(e.getMessage().contains("reads version 1"), e.getMessage());
        rejected(edit(h -> meta(h).put("format", "someone.else")), VERSION);
        rejected(edit(h -> h.remove("__metadata__")), VERSION);
    }

    @Test
    void tamperedMetadataOrTensorChecksum() throws IOException {
        // an edited step count without a matching metadata CRC
        String state = (String) meta(Crafted.header(good)).get("state");
        byte[] b = good.clone();
        String text = new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
        int at = text.indexOf("step_count\\\":7");
        assertTrue(at > 0, state);
        b[at + "step_count\\\":".length()] = '8';
        assertEquals("__metadata__", rejected(b, CHECKSUM).field());
        // resealed metadata, but a tensor CRC that does not match the bytes
        rejected(edit(h -> editMetaJson(h, "crc32c", m -> m.put("params/fc2.bias", "00000000"))), CHECKSUM);
        rejected(edit(h -> editMetaJson(h, "crc32c", m -> m.remove("params/fc2.bias"))), HEADER_FORMAT);
        rejected(edit(h -> editMetaJson(h, "crc32c", m -> m.put("params/fc2.bias", "xyz"))), HEADER_FORMAT);
    }

    @Test
    void invalidCounters() throws IOException {
        assertEquals("state.step_count", rejected(edit(h -> editMetaJson(h, "state", m -> m.put("step_count", -1L))), STATE).field());
        rejected(edit(h -> editMetaJson(h, "state", m -> m.put("step_count", "7"))), STATE);
        rejected(edit(h -> editMetaJson(h, "state", m -> m.put("slow_ready", false))), STATE);
        rejected(edit(h -> editMetaJson(h, "state", m -> m.put("host_state", List.of()))), STATE);
        rejected(edit(h -> editMetaJson(h, "state", m -> m.put("host_state", List.of(Map.of("bits", "12"))))), STATE);
    }

    // ------------------------------------------------------------------ does not fit the optimizer

    @Test
    void wrongOptimizerTypeOrOptions() throws IOException {
        CheckpointException e = rejected(good, a -> Optimizer.builder(a, Sgd.builder().lr(0.1).build()).build(), OPTIMIZER_TYPE);
        assertTrue(e.getMessage().contains("\"nadam\"") && e.getMessage().contains("\"sgd\""), e.getMessage());
        e = rejected(good, a -> Optimizer.builder(a, NAdam.builder().lr(0.5).build())
                .lookahead(LOOKAHEADS.get(LA)).schedule(SCHEDULE).build(), CONFIG_MISMATCH);
        assertEquals("inner.lr", e.field());
        e = rejected(good, a -> Optimizer.builder(a, RULES.get(RULE))
                .lookahead(Lookahead.builder().syncPeriod(K + 1).pullback(Pullback.PULLBACK).build()).schedule(SCHEDULE)
                .group("no_decay", dev.lookahead4j.GroupOptions.builder().weightDecay(0).lr(RULES.get(RULE).lr() * 0.5).build()).build(),
                CONFIG_MISMATCH);
        assertEquals("lookahead.k", e.field());
        e = rejected(good, a -> optimizer(a, RULE, "la_reset"), CONFIG_MISMATCH);
        assertEquals("lookahead.pullback", e.field());
        e = rejected(good, a -> optimizer(a, RULE, "plain"), CONFIG_MISMATCH);
        assertEquals("lookahead", e.field());
        e = rejected(good, a -> Optimizer.builder(a, RULES.get(RULE)).lookahead(LOOKAHEADS.get(LA)).schedule(SCHEDULE).build(), CONFIG_MISMATCH);
        assertTrue(e.field().startsWith("groups.no_decay."), e.field());
        rejected(edit(h -> editMetaJson(h, "config", m -> m.put("inner", Map.of("type", "adam")))), OPTIMIZER_TYPE);
    }

    /** Loads {@code good} into an optimizer over {@code arena}; checks the reason, the field and that nothing changed. */
    static void rejectedByArena(ParamArena.Builder arena, Reason reason, String field) throws IOException {
        Path f = dir.resolve("good2.safetensors");
        Files.write(f, good);
        try (ParamArena a = arena.build(device); Optimizer o = Optimizer.builder(a, RULES.get(RULE)).lookahead(LOOKAHEADS.get(LA))
                .group("no_decay", dev.lookahead4j.GroupOptions.builder().weightDecay(0).lr(RULES.get(RULE).lr() * 0.5).build()).build()) {
            for (dev.lookahead4j.Param p : a.params()) a.setValues(p.name(), values(3, p.name(), 0, p.size(), 1));
            Map<String, Object> before = snapshot(o);
            CheckpointException e = assertThrows(CheckpointException.class, () -> o.load(f));
            assertEquals(reason, e.reason(), e.getMessage());
            assertEquals(field, e.field(), e.getMessage());
            assertSameState(before, snapshot(o), "after " + e.getMessage());
        }
    }

    @Test
    void wrongNamesSizesOrGroups() throws IOException {
        rejectedByArena(ParamArena.builder().group("decay").add("fc1.weight", 257).add("fc2.weight", 33)
                .group("no_decay").add("fc1.bias", 7).add("fc2.b", 1), UNEXPECTED_TENSOR, "fc2.bias");
        rejectedByArena(ParamArena.builder().group("decay").add("fc1.weight", 257).add("fc2.weight", 33)
                .group("no_decay").add("fc1.bias", 7).add("fc2.bias", 1).add("fc3.bias", 2), MISSING_TENSOR, "fc3.bias");
        rejectedByArena(ParamArena.builder().group("decay").add("fc1.weight", 256).add("fc2.weight", 33)
                .group("no_decay").add("fc1.bias", 7).add("fc2.bias", 1), SIZE_MISMATCH, "fc1.weight");
        rejectedByArena(ParamArena.builder().group("decay").add("fc1.weight", 257)
                .group("no_decay").add("fc1.bias", 7).add("fc2.bias", 1).add("fc2.weight", 33), CONFIG_MISMATCH, "groups.fc2.weight");
        // a tensor renamed in the header (configuration intact)
        byte[] renamed = edit(h -> {
            h.put("exp_avg/fc1.biaz", h.remove("exp_avg/fc1.bias"));
            editMetaJson(h, "crc32c", m -> m.put("exp_avg/fc1.biaz", m.remove("exp_avg/fc1.bias")));
        });
        assertEquals("exp_avg/fc1.bias", rejected(renamed, MISSING_TENSOR).field());
        byte[] extra = edit(h -> {
            h.put("extra/fc1.bias", h.remove("exp_avg/fc1.bias"));
            editMetaJson(h, "crc32c", m -> m.put("extra/fc1.bias", m.remove("exp_avg/fc1.bias")));
        });
        rejected(extra, MISSING_TENSOR);
    }

    @Test
    void theSameParametersInAnotherOrderLoad() throws IOException {
        Path f = dir.resolve("good3.safetensors");
        Files.write(f, good);
        try (ParamArena a = ParamArena.builder().group("no_decay").add("fc2.bias", 1).add("fc1.bias", 7)
                .group("decay").add("fc2.weight", 33).add("fc1.weight", 257).build(device);
             Optimizer o = optimizer(a, RULE, LA)) {
            o.load(f);
            Map<String, Object> got = stateSnapshot(o);
            for (String k : goodState.keySet()) {
                if (goodState.get(k) instanceof int[] e) org.junit.jupiter.api.Assertions.assertArrayEquals(e, (int[]) got.get(k), k);
            }
            assertEquals(7L, o.stepCount());
        }
    }

    // ------------------------------------------------------------------ saving never destroys

    @Test
    void aFailedSaveKeepsTheOldFileAndLeavesNoTemporaryFile() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("failsave"));
        Path f = sub.resolve("ckpt.safetensors");
        Files.write(f, good);
        try (ParamArena a = arena(device); Optimizer o = optimizer(a, RULE, LA)) {
            init(a, 5);
            run(o, 5, 0, 2);
            CheckpointWriter.afterChunk = () -> { throw new IllegalStateException("disk full (simulated)"); };
            try {
                assertThrows(IllegalStateException.class, () -> o.save(f));
            } finally {
                CheckpointWriter.afterChunk = null;
            }
            assertTrue(Arrays.equals(good, Files.readAllBytes(f)), "the old checkpoint changed");
            try (var list = Files.list(sub)) {
                List<Path> files = new ArrayList<>(list.toList());
                assertEquals(List.of(f), files, "left behind: " + files);
            }
            o.save(f); // and the optimizer is usable afterwards
            try (Checkpoint c = Checkpoint.open(f)) {
                c.verify();
                assertEquals(2L, c.state().get("step_count"));
            }
        }
        if (Files.exists(dir.resolve("nope"))) fail();
    }
}
