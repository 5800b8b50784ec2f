package dev.lookahead4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Step throughput benchmark (filled in next). */
@Command(name = "bench", description = "Measure optimizer step throughput.")
final class BenchCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
