package dev.lookahead4j.cpu;

import dev.lookahead4j.backend.Buffer;
import java.util.Arrays;

/** A CPU buffer: one Java float array. */
public final class HostBuffer implements Buffer {
    private float[] data;
    private final int length;

    HostBuffer(int length) {
        this.data = new float[length];
        this.length = length;
    }

    /** The backing array (zero-copy access); throws once closed. */
    public float[] array() {
        float[] d = data;
        if (d == null) throw new IllegalStateException("buffer is closed");
        return d;
    }

    @Override public long length() { return length; }

    @Override public void read(long offset, float[] dst, int dstOff, int len) {
        System.arraycopy(array(), Math.toIntExact(offset), dst, dstOff, len);
    }

    @Override public void write(long offset, float[] src, int srcOff, int len) {
        System.arraycopy(src, srcOff, array(), Math.toIntExact(offset), len);
    }

    @Override public void fill(float value) { Arrays.fill(array(), value); }

    @Override public void copyFrom(Buffer src) {
        if (src.length() != length) throw new IllegalArgumentException("length mismatch: " + src.length() + " vs " + length);
        src.read(0, array(), 0, length);
    }

    @Override public void close() { data = null; }
}
