package dev.lookahead4j.cli;

import dev.lookahead4j.Device;

/** Parses {@code --device auto|cpu|cuda|cuda:N} (and a thread count for the CPU). */
final class DeviceOption {
    private DeviceOption() { }

    static Device open(String spec, Integer threads) {
        if (spec == null) spec = "cpu";
        if (threads != null && threads < 1) throw new IllegalArgumentException("Invalid --threads: " + threads + " (must be >= 1)");
        switch (spec) {
            case "cpu":
                return threads == null ? Device.cpu() : Device.cpu(threads);
            case "auto": {
                Device d = Device.best();
                if (d.kind() == Device.Kind.CPU) {
                    Device.cudaUnavailableReason().ifPresent(r -> System.err.println("note: using the CPU; CUDA unavailable: " + r));
                    if (threads != null) {
                        d.close();
                        return Device.cpu(threads);
                    }
                }
                return d;
            }
            default:
                if (spec.equals("cuda")) return Device.cuda(0);
                if (spec.startsWith("cuda:")) {
                    try {
                        return Device.cuda(Integer.parseInt(spec.substring(5)));
                    } catch (NumberFormatException e) {
                        // fall through to the message below
                    }
                }
                throw new IllegalArgumentException("Invalid --device: '" + spec + "' (auto, cpu, cuda or cuda:N)");
        }
    }
}
