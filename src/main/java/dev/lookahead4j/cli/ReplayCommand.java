package dev.lookahead4j.cli;

import dev.lookahead4j.Device;
import dev.lookahead4j.replay.CaseFormatException;
import dev.lookahead4j.replay.ReferenceCase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Replays reference cases and writes one result file per case ({@code OUT/<name>.json}), same format,
 * {@code expect} filled from this run. Exit 0 when all were replayed, 2 for a malformed case file.
 */
@Command(name = "replay", mixinStandardHelpOptions = true, description = "Replay reference trajectory cases; write one result file per case.")
final class ReplayCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "CASE.json", description = "Case files (shared/reference README section 4).")
    List<Path> cases;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for the result files (created).")
    Path out;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda, cuda:N or auto (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--threads", description = "CPU worker threads (default: available processors).")
    Integer threads;

    @Override
    public Integer call() throws IOException {
        // validate every file before running any
        ReferenceCase[] loaded = new ReferenceCase[cases.size()];
        for (int i = 0; i < loaded.length; i++) {
            Path p = cases.get(i);
            if (!Files.isRegularFile(p)) {
                System.err.println("error: " + p + ": no such file");
                return 2;
            }
            try {
                loaded[i] = ReferenceCase.load(p);
            } catch (CaseFormatException e) {
                System.err.println("error: " + e.getMessage());
                return 2;
            }
        }
        Files.createDirectories(out);
        try (Device d = DeviceOption.open(device, threads)) {
            for (ReferenceCase c : loaded) {
                long t0 = System.nanoTime();
                ReferenceCase.Result r = c.replay(d);
                Path target = out.resolve(c.name + ".json");
                Files.writeString(target, c.toResultJson(r), StandardCharsets.UTF_8);
                System.out.printf("%-28s %4d steps  %8.1f ms  -> %s%n", c.name, c.steps, (System.nanoTime() - t0) / 1e6, target);
            }
        }
        return 0;
    }
}
