package dev.lookahead4j.train;

import java.util.Optional;

/**
 * Whether JCublas (JCuda's cuBLAS binding, built against CUDA 12) can load here. It needs
 * {@code libcublas.so.12}: a CUDA 13-only machine has {@code libcublas.so.13} and cannot load it.
 */
public final class CublasProbe {
    private static Optional<String> result;

    private CublasProbe() { }

    /** Empty when JCublas loaded; otherwise why not, in one line. Probed once per JVM (a failed load is final). */
    public static synchronized Optional<String> unavailableReason() {
        if (result == null) result = probe();
        return result;
    }

    private static Optional<String> probe() {
        try {
            Class.forName("jcuda.jcublas.JCublas2").getMethod("initialize").invoke(null);
            return Optional.empty();
        } catch (ClassNotFoundException e) {
            return Optional.of("JCublas is not on the class path (org.jcuda:jcublas is an optional dependency; use the -cli jar)");
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            Throwable t = e instanceof java.lang.reflect.InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
            if (t instanceof ExceptionInInitializerError eie && eie.getCause() != null) t = eie.getCause();
            String m = String.valueOf(t.getMessage());
            // JCuda's message nests the loader's attempts; the useful line names the missing library
            for (String line : m.split("\n")) {
                int at = line.indexOf("libcublas");
                if (at >= 0) return Optional.of("JCublas cannot load: " + line.substring(at).trim() + " (it needs CUDA 12's cuBLAS)");
            }
            String first = m.split("\n")[0];
            return Optional.of("JCublas cannot load: " + t.getClass().getSimpleName() + ": " + first);
        }
    }
}
