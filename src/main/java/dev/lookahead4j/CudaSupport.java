package dev.lookahead4j;

import dev.lookahead4j.backend.Backend;
import java.util.Optional;

/** Opens the CUDA backend; kept apart so that the CPU path never loads JCuda classes. */
final class CudaSupport {
    private static volatile String lastFailure;

    private CudaSupport() { }

    static Backend open(int ordinal) {
        if (ordinal < 0) throw new IllegalArgumentException("Invalid CUDA device ordinal: " + ordinal + " (must be >= 0)");
        try {
            Class<?> c = Class.forName("dev.lookahead4j.cuda.CudaBackend");
            return (Backend) c.getMethod("open", int.class).invoke(null, ordinal);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("this build has no CUDA backend", e);
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) throw re;
            if (cause instanceof Error er) throw er;
            throw new IllegalStateException(cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("CUDA backend cannot be opened: " + e, e);
        }
    }

    static void rememberFailure(Throwable e) {
        lastFailure = e.getMessage() == null ? e.toString() : e.getMessage();
    }

    static Optional<String> lastFailure() { return Optional.ofNullable(lastFailure); }
}
