package dev.lookahead4j.train;

import dev.lookahead4j.Device;
import dev.lookahead4j.cuda.CudaBackend;
import java.util.Optional;

/**
 * Where the {@code train} command's model runs, chosen from {@code --device}: {@code cpu}; {@code cuda}
 * or {@code cuda:N} (device 0 or N); {@code auto} (device 0 when usable). The CUDA model needs three
 * things: the CUDA device opens ({@link Device#cuda}: driver, device, kernels in the build), JCublas
 * loads ({@link CublasProbe}: it needs {@code libcublas.so.12}) and the MLP kernels
 * ({@value MlpKernelNames#PTX}) load. When one is missing the model and the optimizer run on the CPU
 * and {@link #note()} says why in one line; this is never an error.
 *
 * <p>Owns the CUDA device it opened: {@link #close()} closes it (after the runs).
 */
public final class TrainDevice implements AutoCloseable {
    private final Device cuda;
    private final String note;

    private TrainDevice(Device cuda, String note) {
        this.cuda = cuda;
        this.note = note;
    }

    /**
     * Chooses the device for {@code spec}; throws {@link IllegalArgumentException} only for a malformed
     * spec (not {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}).
     */
    public static TrainDevice select(String spec) {
        if (spec == null) throw new IllegalArgumentException("Invalid --device: null (auto, cpu, cuda or cuda:N)");
        if (spec.equals("cpu")) return new TrainDevice(null, null);
        int ordinal;
        if (spec.equals("auto") || spec.equals("cuda")) {
            ordinal = 0;
        } else if (spec.matches("cuda:\\d{1,9}")) {
            ordinal = Integer.parseInt(spec.substring(5));
        } else {
            throw new IllegalArgumentException("Invalid --device: '" + spec + "' (auto, cpu, cuda or cuda:N)");
        }
        String onCpu = "; the model and optimizer run on the CPU";
        Device d;
        try {
            d = Device.cuda(ordinal);
        } catch (RuntimeException | LinkageError e) {
            return new TrainDevice(null, "--device " + spec + ": no usable CUDA device (" + firstLine(e) + ")" + onCpu);
        }
        Optional<String> cublas = CublasProbe.unavailableReason();
        if (cublas.isPresent()) {
            d.close();
            return new TrainDevice(null, "--device " + spec + ": " + cublas.get() + onCpu);
        }
        try {
            CudaBackend.of(d).module(MlpKernelNames.PTX);
        } catch (RuntimeException e) {
            d.close();
            return new TrainDevice(null, "--device " + spec + ": the MLP kernels cannot load (" + firstLine(e) + ")" + onCpu);
        }
        return new TrainDevice(d, null);
    }

    /** The CPU, always (for callers that never want CUDA). */
    public static TrainDevice cpu() {
        return new TrainDevice(null, null);
    }

    /** The CUDA device the model runs on; empty for the CPU. */
    public Optional<Device> cuda() {
        return Optional.ofNullable(cuda);
    }

    /** Why the model runs on the CPU although CUDA was asked for (one line), or null. */
    public String note() {
        return note;
    }

    /** E.g. {@code cpu} or {@code cuda:0 NVIDIA H200 (sm_90, 132 SMs)}. */
    public String describe() {
        return cuda == null ? "cpu" : cuda.describe();
    }

    /** Closes the CUDA device, if any; idempotent. */
    @Override
    public void close() {
        if (cuda != null) cuda.close();
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.lines().findFirst().orElse(m).trim();
    }
}
