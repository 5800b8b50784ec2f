package dev.lookahead4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The command line: {@code java -jar lookahead4j-cli.jar <command>}. */
@Command(name = "lookahead4j", mixinStandardHelpOptions = true, version = "lookahead4j 0.1.0",
        description = "Lookahead optimizer over fused inner optimizers on a flat parameter arena (CPU and CUDA).",
        subcommands = {ReplayCommand.class, BenchCommand.class, InfoCommand.class, TrainCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Runs the command line and returns its exit code (0 ok, 1 runtime failure, 2 bad input). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            cmd.getErr().println("error: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            return ex instanceof IllegalArgumentException ? 2 : 1;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
