package dev.lookahead4j.checkpoint;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lookahead4j.Device;
import dev.lookahead4j.Lookahead;
import dev.lookahead4j.NonFinitePolicy;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.ParamArena;
import dev.lookahead4j.Pullback;
import dev.lookahead4j.optim.NAdam;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the loader with Jazzer. Without {@code JAZZER_FUZZ=1} this runs the inputs in
 * {@code LoaderFuzzTestInputs/} (regression mode); with it (CI sets it), libFuzzer mutates for at most the
 * {@code maxDuration}. The only exception allowed out of the loader is {@link CheckpointException}.
 *
 * <p>The target takes either raw bytes, or a valid checkpoint with byte edits chosen by the fuzzer, with
 * the metadata checksum optionally resealed so that edits of the configuration reach the checks behind it.
 */
class LoaderFuzzTest {
    /** A small optimizer (NAdam: host state; Lookahead with pullback: every kind of tensor) and its checkpoint. */
    static final class Target {
        static final Device DEVICE = Device.cpu(1);
        static final ParamArena ARENA = ParamArena.builder().group("a").add("w", 5).add("b", 2).group("c").add("v", 3).build(DEVICE);
        static final Optimizer OPT = Optimizer.builder(ARENA, NAdam.builder().build())
                .lookahead(Lookahead.builder().syncPeriod(2).pullback(Pullback.PULLBACK).build())
                .nonFinitePolicy(NonFinitePolicy.SKIP_STEP).build();
        static final byte[] VALID;

        static {
            try {
                Fixtures.init(ARENA, 7);
                for (int s = 1; s <= 3; s++) {
                    Fixtures.grads(ARENA, 7, s);
                    OPT.step();
                }
                Path tmp = Files.createTempFile("fuzz-seed", ".safetensors");
                OPT.save(tmp);
                VALID = Files.readAllBytes(tmp);
                Files.delete(tmp);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Runs the loader over {@code data}; returns normally or throws CheckpointException, nothing else. */
    static void load(byte[] data) throws CheckpointException {
        try (Checkpoint c = Checkpoint.open(new ByteArrayChannel(data), "fuzz")) {
            c.verify();
            OptimizerCheckpoint.stage(Target.OPT, c);
        } catch (CheckpointException e) {
            throw e;
        } catch (IOException e) {
            throw new AssertionError("an in-memory channel cannot fail with a plain IOException", e);
        }
    }

    /** Decodes the fuzzer's input into a candidate file (see the class comment). */
    static byte[] input(FuzzedDataProvider in) {
        int mode = in.consumeInt(0, 2);
        if (mode == 0) return in.consumeRemainingAsBytes();
        byte[] f = Target.VALID.clone();
        int edits = in.consumeInt(1, 8);
        for (int i = 0; i < edits && in.remainingBytes() > 0; i++) {
            int what = in.consumeInt(0, 3);
            int pos = in.consumeInt(0, f.length - 1);
            switch (what) {
                case 0 -> f[pos] = in.consumeByte();
                case 1 -> f[pos] ^= (byte) (1 << in.consumeInt(0, 7));
                case 2 -> f = java.util.Arrays.copyOf(f, Math.max(pos, 1));
                default -> {
                    byte[] ins = in.consumeBytes(in.consumeInt(1, 16));
                    byte[] g = new byte[f.length + ins.length];
                    System.arraycopy(f, 0, g, 0, pos);
                    System.arraycopy(ins, 0, g, pos, ins.length);
                    System.arraycopy(f, pos, g, pos + ins.length, f.length - pos);
                    f = g;
                }
            }
        }
        return mode == 2 ? Crafted.resealed(f) : f;
    }

    @FuzzTest(maxDuration = "30s")
    void loader(FuzzedDataProvider in) {
        try {
            load(input(in));
        } catch (CheckpointException expected) {
            // the documented outcome for a bad file
        }
    }
}
