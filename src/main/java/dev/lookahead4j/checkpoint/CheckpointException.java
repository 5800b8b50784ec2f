package dev.lookahead4j.checkpoint;

import java.io.IOException;

/**
 * A checkpoint that cannot be read, or that does not fit the optimizer it is loaded into. The
 * {@link #reason()} says which check failed and {@link #field()} names the header field, tensor or
 * configuration entry; the message says what was found and what was expected. When
 * {@link dev.lookahead4j.Optimizer#load} throws this, the optimizer's state is exactly as before the call.
 */
public final class CheckpointException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Which check failed. */
    public enum Reason {
        /** The file ends before the length its header promises (or before the 8-byte length prefix). */
        TRUNCATED,
        /** The file has bytes after the last tensor's data. */
        TRAILING_DATA,
        /** The 8-byte header length is negative, larger than the file or larger than {@link Checkpoint#MAX_HEADER_BYTES}. */
        HEADER_LENGTH,
        /** The header is not valid UTF-8 JSON, or a required entry is missing or has the wrong JSON type. */
        HEADER_FORMAT,
        /** A tensor's dtype is not F32 (the only dtype this format writes). */
        DTYPE,
        /** A tensor's shape is not a one-dimensional [n], or does not match its byte range. */
        SHAPE,
        /** A tensor's data_offsets are not [begin, end] inside the data section. */
        OFFSETS,
        /** Two tensors' byte ranges overlap. */
        OVERLAP,
        /** A tensor's or the metadata's CRC32C does not match its bytes. */
        CHECKSUM,
        /** The file is not a lookahead4j checkpoint, or has a format version this build cannot read. */
        VERSION,
        /** A tensor the optimizer needs is not in the file. */
        MISSING_TENSOR,
        /** The file has a tensor (or a parameter) that the optimizer does not know. */
        UNEXPECTED_TENSOR,
        /** A parameter's size in the file differs from its size in the arena. */
        SIZE_MISMATCH,
        /** The file was written by another inner optimizer type (e.g. adam vs sgd). */
        OPTIMIZER_TYPE,
        /** Inner options, Lookahead settings, groups or group options differ. */
        CONFIG_MISMATCH,
        /** The saved counters (step count, host state) are invalid. */
        STATE
    }

    private final Reason reason;
    private final String field;

    public CheckpointException(Reason reason, String field, String message) {
        super(reason + " [" + field + "]: " + message);
        this.reason = reason;
        this.field = field;
    }

    public CheckpointException(Reason reason, String field, String message, Throwable cause) {
        this(reason, field, message);
        initCause(cause);
    }

    /** Which check failed. */
    public Reason reason() { return reason; }

    /** The header field, tensor name or configuration entry concerned (e.g. "exp_avg/fc1.weight", "inner.lr"). */
    public String field() { return field; }
}
