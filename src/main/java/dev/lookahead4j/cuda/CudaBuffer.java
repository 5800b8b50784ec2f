package dev.lookahead4j.cuda;

import static jcuda.driver.JCudaDriver.CU_STREAM_LEGACY;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import dev.lookahead4j.backend.Buffer;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * One device allocation of float32 elements. {@link #read} and {@link #write} wait for the backend's
 * stream and copy synchronously (setup and inspection, not the hot path); {@link #fill} and
 * {@link #copyFrom} are enqueued on the stream and return at once.
 */
public final class CudaBuffer implements Buffer, DeviceMemory {
    private final CudaBackend backend;
    private final String what;
    private final CudaBackend.DevicePointer ptr;
    private final long length, bytes;
    private final long address;
    private volatile boolean closed;

    CudaBuffer(CudaBackend backend, String what, CudaBackend.DevicePointer ptr, long length, long bytes) {
        this.backend = backend;
        this.what = what;
        this.ptr = ptr;
        this.length = length;
        this.bytes = bytes;
        this.address = ptr.address();
    }

    @Override public long length() { return length; }

    /** Bytes allocated (at least 4, also for an empty buffer). */
    public long bytes() { return bytes; }

    /** The allocation as a JCuda pointer (valid until closed). */
    public CUdeviceptr pointer() {
        checkOpen();
        return ptr;
    }

    @Override
    public long deviceAddress() {
        checkOpen();
        return address;
    }

    @Override public int deviceOrdinal() { return backend.ordinal(); }

    @Override
    public void read(long offset, float[] dst, int dstOff, int len) {
        checkRange(offset, len);
        if (len == 0) return;
        enter();
        CudaBackend.check(cuStreamSynchronize(backend.stream()), "waiting for the stream before reading " + what);
        CudaBackend.check(cuMemcpyDtoH(Pointer.to(dst).withByteOffset(dstOff * 4L), ptr.withByteOffset(offset * 4L), len * 4L),
                "cuMemcpyDtoH (" + what + ")");
    }

    @Override
    public void write(long offset, float[] src, int srcOff, int len) {
        checkRange(offset, len);
        if (len == 0) return;
        enter();
        CudaBackend.check(cuStreamSynchronize(backend.stream()), "waiting for the stream before writing " + what);
        CudaBackend.check(cuMemcpyHtoD(ptr.withByteOffset(offset * 4L), Pointer.to(src).withByteOffset(srcOff * 4L), len * 4L),
                "cuMemcpyHtoD (" + what + ")");
        // A synchronous cuMemcpyHtoD from pageable memory (a Java array) returns once the data is staged;
        // the DMA into device memory may still be pending on the legacy default stream. Our own stream is
        // a blocking stream and waits for it, but a user stream created CU_STREAM_NON_BLOCKING (PyTorch's
        // pool streams are) does not: a step enqueued there right after setGrad could read stale
        // gradients. Waiting for the legacy stream here makes the copy complete before write() returns.
        CudaBackend.check(cuStreamSynchronize(CU_STREAM_LEGACY), "waiting for the copy into " + what);
    }

    @Override
    public void fill(float value) {
        enter();
        if (length == 0) return;
        CudaBackend.check(cuMemsetD32Async(ptr, Float.floatToRawIntBits(value), length, backend.stream()), "cuMemsetD32Async (" + what + ")");
    }

    @Override
    public void copyFrom(Buffer src) {
        if (!(src instanceof CudaBuffer s) || s.backend != backend) {
            throw new IllegalArgumentException("Invalid source for " + what + ": a buffer of " + backend.describe() + " is needed");
        }
        if (s.length != length) throw new IllegalArgumentException("length mismatch: " + s.length + " vs " + length);
        s.checkOpen();
        enter();
        if (length == 0) return;
        CudaBackend.check(cuMemcpyDtoDAsync(ptr, s.ptr, length * 4L, backend.stream()), "cuMemcpyDtoDAsync (" + what + ")");
    }

    /** Frees the allocation (after the work on the stream); idempotent. */
    @Override
    public void close() {
        if (closed) return;
        free();
    }

    /** Frees without checking that the backend is open (used by the backend's close). */
    synchronized void free() {
        if (closed) return;
        closed = true;
        backend.makeCurrent();
        cuStreamSynchronize(backend.stream());
        cuMemFree(ptr);
        backend.forget(this);
    }

    private void enter() {
        checkOpen();
        backend.makeCurrent();
    }

    void checkOpen() {
        if (closed) throw new IllegalStateException("buffer is closed: " + what);
        backend.checkOpen();
    }

    private void checkRange(long offset, int len) {
        if (offset < 0 || len < 0 || offset + len > length) {
            throw new IndexOutOfBoundsException("range [" + offset + ", " + (offset + len) + ") of " + what + " (length " + length + ")");
        }
    }

    @Override public String toString() { return "CudaBuffer[" + what + ", " + length + " floats on cuda:" + backend.ordinal() + "]"; }
}
