package dev.lookahead4j.checkpoint;

import static dev.lookahead4j.checkpoint.Fixtures.*;

import dev.lookahead4j.Device;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.ParamArena;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The program the tests fork in a new JVM.
 * <pre>
 *   save   DIR SEED SAVE_AT RULE:LOOKAHEAD...   init, SAVE_AT steps, save DIR/RULE-LOOKAHEAD.safetensors
 *   resume DIR SEED SAVE_AT N RULE:LOOKAHEAD... load that file into a fresh optimizer, steps SAVE_AT+1..N,
 *                                                save DIR/RULE-LOOKAHEAD.final.safetensors
 *   loop   FILE SEED                            continue from FILE if it exists (else start), then forever:
 *                                                one step, save FILE; prints "step S" after each save
 * </pre>
 */
public final class CheckpointChild {
    private CheckpointChild() { }

    /** The arena of the kill test: large enough that a save takes a while (about 17 MB per save). */
    static ParamArena loopArena(Device d) {
        return ParamArena.builder().group("decay").add("big", 1_048_577).add("fc2.weight", 33)
                .group("no_decay").add("fc1.bias", 7).build(d);
    }

    static final String LOOP_RULE = "adam", LOOP_LA = "la_pullback";

    public static void main(String[] args) throws Exception {
        try (Device device = Device.cpu(1)) {
            switch (args[0]) {
                case "save" -> {
                    Path dir = Path.of(args[1]);
                    long seed = Long.parseLong(args[2]);
                    int saveAt = Integer.parseInt(args[3]);
                    for (int i = 4; i < args.length; i++) {
                        String[] c = args[i].split(":");
                        try (ParamArena a = arena(device); Optimizer o = optimizer(a, c[0], c[1])) {
                            init(a, seed);
                            run(o, seed, 0, saveAt);
                            o.save(dir.resolve(c[0] + "-" + c[1] + ".safetensors"));
                        }
                    }
                }
                case "resume" -> {
                    Path dir = Path.of(args[1]);
                    long seed = Long.parseLong(args[2]);
                    int saveAt = Integer.parseInt(args[3]);
                    int n = Integer.parseInt(args[4]);
                    for (int i = 5; i < args.length; i++) {
                        String[] c = args[i].split(":");
                        try (ParamArena a = arena(device); Optimizer o = optimizer(a, c[0], c[1])) {
                            o.load(dir.resolve(c[0] + "-" + c[1] + ".safetensors"));
                            if (o.stepCount() != saveAt) throw new AssertionError("step count " + o.stepCount());
                            run(o, seed, saveAt, n);
                            o.save(dir.resolve(c[0] + "-" + c[1] + ".final.safetensors"));
                        }
                    }
                }
                case "loop" -> {
                    Path file = Path.of(args[1]);
                    long seed = Long.parseLong(args[2]);
                    try (ParamArena a = loopArena(device); Optimizer o = optimizer(a, LOOP_RULE, LOOP_LA)) {
                        init(a, seed);
                        if (Files.exists(file)) o.load(file);
                        while (true) {
                            run(o, seed, o.stepCount(), o.stepCount() + 1);
                            o.save(file);
                            System.out.println("step " + o.stepCount());
                            System.out.flush();
                        }
                    }
                }
                default -> throw new IllegalArgumentException("unknown mode " + args[0]);
            }
        }
    }
}
