package dev.lookahead4j.cuda;

/**
 * A buffer that lives in CUDA device memory. Kept free of JCuda types so that
 * {@link dev.lookahead4j.ParamArena} can ask for raw device addresses without loading JCuda on the
 * CPU path.
 */
public interface DeviceMemory {
    /** The raw device address of element 0 ({@code CUdeviceptr} value), valid until the buffer is closed. */
    long deviceAddress();

    /** The CUDA device ordinal the memory belongs to. */
    int deviceOrdinal();
}
