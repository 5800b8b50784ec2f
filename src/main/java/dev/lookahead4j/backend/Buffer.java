package dev.lookahead4j.backend;

/**
 * One flat float32 buffer owned by a backend (host array or device allocation).
 * Offsets and lengths are in elements. Implementations validate bounds in the public API
 * layer ({@link dev.lookahead4j.ParamArena}), not here: these calls are internal.
 */
public interface Buffer extends AutoCloseable {
    /** Number of float elements. */
    long length();

    /** Copies {@code len} elements starting at {@code offset} into {@code dst[dstOff..]}. */
    void read(long offset, float[] dst, int dstOff, int len);

    /** Copies {@code src[srcOff..srcOff+len)} into this buffer at {@code offset}. */
    void write(long offset, float[] src, int srcOff, int len);

    /** Sets every element to {@code value}. */
    void fill(float value);

    /** Copies all of {@code src} (same length) into this buffer. */
    void copyFrom(Buffer src);

    /** Frees the memory; idempotent. */
    @Override
    void close();
}
