package dev.lookahead4j.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Where the native build put its outputs, and whether a test may skip when they are missing: only
 * when the build was told to skip them ({@code -Dnative.skip=true}) or neither nvcc nor a C++
 * compiler is on the PATH. Where nvcc is present (CI), a missing output fails the test.
 */
final class NativeBuild {
    private NativeBuild() { }

    /** {@code target/native} (surefire passes the real path as {@code lookahead4j.native.dir}). */
    static Path nativeDir() {
        return Path.of(System.getProperty("lookahead4j.native.dir", "target/native"));
    }

    static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) return true;
        }
        return false;
    }

    static boolean nvccPresent() {
        String env = System.getenv("NVCC");
        return (env != null && Files.isExecutable(Path.of(env))) || onPath("nvcc");
    }

    /** Skips (nothing to check, and nothing could have built it) or fails (it should have been built). */
    static void missing(String what, boolean buildableHere) {
        boolean skipped = Boolean.getBoolean("lookahead4j.native.skip");
        Assumptions.assumeFalse(skipped, "native build skipped (-Dnative.skip=true): " + what + " not checked");
        if (buildableHere) {
            fail(what + " is missing although the tools to build it are on the PATH: the native build "
                    + "(native/maven-build.sh, make -C native) did not run or failed");
        }
        Assumptions.abort("no nvcc (and no C++ compiler) on the PATH: " + what + " was not built, so it is not checked");
    }
}
