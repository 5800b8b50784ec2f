package dev.lookahead4j.cli;

import dev.lookahead4j.Device;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Prints what this machine offers: Java, CPU threads, CUDA (or why not). */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show the Java runtime, CPU threads and whether CUDA is usable.")
final class InfoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("java     " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
        System.out.println("cpu      " + Runtime.getRuntime().availableProcessors() + " processors");
        try (Device d = Device.best()) {
            System.out.println("best     " + d.describe());
            Device.cudaUnavailableReason().ifPresent(r -> System.out.println("cuda     unavailable: " + r));
        }
        return 0;
    }
}
