package dev.lookahead4j.backend;

/** A parameter group's contiguous element range {@code [start, end)} of the arena. */
public record GroupRange(long start, long end) {
    public GroupRange {
        if (start < 0 || end < start) throw new IllegalArgumentException("bad range [" + start + ", " + end + ")");
    }
    public long length() { return end - start; }
}
