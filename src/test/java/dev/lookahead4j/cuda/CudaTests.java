package dev.lookahead4j.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lookahead4j.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Shared by the GPU tests: open CUDA device 0, or skip (with the reason) where there is none.
 *
 * <p>In the surefire execution {@code cuda-emulator} the JVM's libcuda.so.1 is cuda-emu
 * ({@code native/emu}), which runs the kernels on the CPU: there the tests must not skip. They skip
 * only if the build has no PTX (no nvcc) and fail if cuda-emu was not built or does not open.
 */
public final class CudaTests {
    private CudaTests() { }

    /** The cuda-emu directory when this JVM runs the GPU tests on cuda-emu, else null. */
    public static Path emulator() {
        String p = System.getProperty("lookahead4j.cuda.emulator");
        return p == null || p.isBlank() ? null : Path.of(p);
    }

    /** True when the tests run on cuda-emu rather than a GPU (or nothing). */
    public static boolean onEmulator() {
        return emulator() != null;
    }

    public static Device openOrSkip() {
        Path emu = emulator();
        if (emu != null) {
            Assumptions.assumeTrue(CudaBackend.resource(KernelNames.STEP_PTX) != null,
                    "this build has no PTX (no nvcc): cuda-emu has no kernels to run, GPU tests skipped");
            if (!Files.exists(emu.resolve("libcuda.so.1"))) {
                fail("cuda-emu was not built: " + emu.resolve("libcuda.so.1") + " is missing (make -C native host)");
            }
        }
        try {
            Device d = Device.cuda(0);
            if (emu != null) assertTrue(d.describe().contains("cuda-emu"), "expected cuda-emu, opened " + d.describe());
            return d;
        } catch (RuntimeException | LinkageError e) {
            if (emu != null) throw new AssertionError("cuda-emu did not open: " + e.getMessage(), e);
            Assumptions.abort("no usable CUDA device, GPU test skipped: " + e.getMessage());
            throw new AssertionError(e);
        }
    }

    /** All of {@code b}'s floats. */
    public static float[] readAll(dev.lookahead4j.backend.Buffer b) {
        float[] x = new float[(int) b.length()];
        b.read(0, x, 0, x.length);
        return x;
    }

    /** Bitwise equality (NaN payloads aside) with the first differences in the message. */
    public static void assertBits(String what, float[] expected, float[] actual) {
        if (expected.length != actual.length) fail(what + ": length " + actual.length + ", expected " + expected.length);
        int bad = 0;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                if (bad++ < 5) sb.append(String.format(" [%d] expected %s got %s;", i, expected[i], actual[i]));
            }
        }
        if (bad > 0) fail(what + ": " + bad + " of " + expected.length + " elements differ:" + sb);
    }
}
