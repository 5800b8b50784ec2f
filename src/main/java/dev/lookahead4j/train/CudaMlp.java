package dev.lookahead4j.train;

import static jcuda.driver.JCudaDriver.CU_STREAM_LEGACY;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import dev.lookahead4j.Device;
import dev.lookahead4j.ParamArena;
import dev.lookahead4j.backend.Buffer;
import dev.lookahead4j.cuda.CudaBackend;
import dev.lookahead4j.cuda.CudaBuffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasMath;
import jcuda.jcublas.cublasOperation;
import jcuda.jcublas.cublasStatus;
import jcuda.runtime.cudaStream_t;

/**
 * The MLP of {@link Mlp} on a CUDA device: the same parameters, layout and initialisation, with the
 * forward and backward passes entirely on the device. The matrix products are cuBLAS SGEMM calls
 * (JCublas, {@code CUBLAS_DEFAULT_MATH}: full float32, no TF32) and everything else is a kernel of
 * {@code cuda-kernels/mlp.cu}; all of it is enqueued on the CUDA backend's stream, the stream
 * {@code Optimizer.step()} uses, so a step needs no host synchronisation.
 *
 * <p>Memory, all allocated once: both datasets as bytes (Fashion-MNIST's 60,000 training images are
 * 47 MB), the epoch's shuffled order (uploaded once per epoch, {@link #setOrder}), activations and
 * deltas for {@code maxBatch} rows, per-row losses and correct flags, and one double per training step
 * of an epoch for the batch losses. A training step gathers its batch on the device from the order,
 * and writes the sum of its per-row losses into slot {@code step} of the batch-loss array; the host
 * reads a range of those sums with {@link #batchLosses} (one synchronisation per range, not per step).
 *
 * <p>Layout: activations are row-major {@code [batch][width]}; a weight is the arena's
 * {@code [in][out]} row-major array, which cuBLAS (column-major) sees as the {@code out x in} matrix
 * {@code W}. So with {@code X} the {@code in x batch} column-major view of the activations:
 * forward {@code Y = W X} (gemm N,N), weight gradient {@code G = D X^T} (gemm N,T, written straight
 * into the arena's gradient buffer), input gradient {@code DX = W^T D} (gemm T,N), then the ReLU mask.
 *
 * <p>Numbers: the element-wise math is that of the Java model (mlp.cuh, checked against
 * {@link MlpKernels} on the host), but cuBLAS sums the products in its own order, so losses agree with
 * the CPU model closely, not bit for bit. The kernels use no atomics and cuBLAS SGEMM is
 * deterministic on a given GPU and toolkit, so a seed gives the same numbers run to run.
 * Not thread-safe; closes its arena (not the device).
 */
final class CudaMlp implements AutoCloseable {
    private static final int CUBLAS_OK = cublasStatus.CUBLAS_STATUS_SUCCESS;

    private final CudaBackend backend;
    private final int[] widths;
    private final int layers;
    private final int maxBatch;
    private final int steps;
    private final Dataset train, test;
    private final ParamArena arena;
    private final CudaBuffer params, grads;
    private final long[] wOff, bOff;
    private final List<CudaBuffer> owned = new ArrayList<>();
    private final CudaBuffer trainImages, trainLabels, testImages, testLabels, order, labels;
    private final CudaBuffer[] acts, deltas;
    private final CudaBuffer rowLoss, rowCorrect, batchSums, evalOut;
    private final cublasHandle handle = new cublasHandle();
    private boolean handleCreated;
    private CUstream cublasStream;
    private final CUfunction gather, biasAct, softmaxXent, biasGrad, reluMask, sumRows;
    private final Launch gatherArgs, biasActArgs, softmaxArgs, biasGradArgs, reluMaskArgs, sumRowsArgs;
    private final Pointer one = Pointer.to(new float[] {1f}), zero = Pointer.to(new float[] {0f});
    private final int maxBlocks;
    private boolean closed;

    /**
     * Builds the arena on {@code device} (a CUDA device), uploads both datasets and allocates the
     * buffers. JCublas must be loadable ({@link CublasProbe}); the caller checks that first.
     *
     * @param widths    layer widths, input first, classes last
     * @param maxBatch  the largest batch of a training step or an evaluation pass
     * @param batchSize the training batch size (sets the number of steps per epoch)
     */
    CudaMlp(Device device, int[] widths, int maxBatch, int batchSize, Dataset train, Dataset test) {
        if (device == null || device.kind() != Device.Kind.CUDA) {
            throw new IllegalArgumentException("Invalid device: " + (device == null ? "null" : device.describe()) + " (the CUDA MLP needs a CUDA device)");
        }
        Mlp.checkWidths(widths);
        if (maxBatch < 1 || batchSize < 1 || batchSize > maxBatch) {
            throw new IllegalArgumentException("Invalid batch sizes: batch " + batchSize + ", max " + maxBatch);
        }
        for (Dataset d : new Dataset[] {train, test}) {
            if (d == null) throw new IllegalArgumentException("Invalid dataset: null");
            Mlp.checkData(d, widths);
        }
        this.backend = CudaBackend.of(device);
        this.widths = widths.clone();
        this.layers = widths.length - 1;
        this.maxBatch = maxBatch;
        this.train = train;
        this.test = test;
        this.steps = (train.count() + batchSize - 1) / batchSize;
        this.maxBlocks = Math.max(1, backend.multiprocessors() * 8);
        this.arena = Mlp.newArena(device, widths);
        boolean ok = false;
        try {
            this.params = (CudaBuffer) arena.valuesBuffer();
            this.grads = (CudaBuffer) arena.gradsBuffer();
            wOff = new long[layers + 1];
            bOff = new long[layers + 1];
            for (int l = 1; l <= layers; l++) {
                wOff[l] = arena.param(Mlp.weightName(l)).offset();
                bOff[l] = arena.param(Mlp.biasName(l)).offset();
            }
            CUmodule module = backend.module(MlpKernelNames.PTX);
            Map<String, String> sig = MlpKernelNames.signatures();
            gather = function(module, MlpKernelNames.GATHER);
            biasAct = function(module, MlpKernelNames.BIAS_ACT);
            softmaxXent = function(module, MlpKernelNames.SOFTMAX_XENT);
            biasGrad = function(module, MlpKernelNames.BIAS_GRAD);
            reluMask = function(module, MlpKernelNames.RELU_MASK);
            sumRows = function(module, MlpKernelNames.SUM_ROWS);
            gatherArgs = new Launch(sig.get(MlpKernelNames.GATHER));
            biasActArgs = new Launch(sig.get(MlpKernelNames.BIAS_ACT));
            softmaxArgs = new Launch(sig.get(MlpKernelNames.SOFTMAX_XENT));
            biasGradArgs = new Launch(sig.get(MlpKernelNames.BIAS_GRAD));
            reluMaskArgs = new Launch(sig.get(MlpKernelNames.RELU_MASK));
            sumRowsArgs = new Launch(sig.get(MlpKernelNames.SUM_ROWS));

            trainImages = upload("training images", train.images());
            trainLabels = upload("training labels", train.labels());
            testImages = upload("test images", test.images());
            testLabels = upload("test labels", test.labels());
            order = alloc("epoch order", train.count());
            labels = alloc("batch labels", maxBatch);
            acts = new CudaBuffer[layers + 1];
            deltas = new CudaBuffer[layers + 1];
            for (int l = 0; l <= layers; l++) {
                acts[l] = alloc("activations " + l, (long) maxBatch * widths[l]);
                if (l >= 1) deltas[l] = alloc("deltas " + l, (long) maxBatch * widths[l]);
            }
            int rows = Math.max(maxBatch, test.count());
            rowLoss = alloc("row losses", rows);
            rowCorrect = alloc("row correct flags", rows);
            batchSums = alloc("batch losses", 2L * steps);   // doubles
            evalOut = alloc("evaluation sums", 4);             // double + long long

            backend.synchronize();
            cuCtxSetCurrent(backend.context());
            cublas(JCublas2.cublasCreate(handle), "cublasCreate");
            handleCreated = true;
            cublas(JCublas2.cublasSetMathMode(handle, cublasMath.CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
            bindStream();
            ok = true;
        } finally {
            if (!ok) close();
        }
    }

    ParamArena arena() { return arena; }

    /** Steps per epoch (the length of the batch-loss array). */
    int steps() { return steps; }

    /** Initialises exactly like {@link Mlp#initialize} (the same values, from the same draws). */
    void initialize(long seed) {
        float[][] v = Mlp.initialValues(widths, seed);
        for (int l = 1; l <= layers; l++) {
            arena.setValues(Mlp.weightName(l), v[2 * (l - 1)]);
            arena.setValues(Mlp.biasName(l), v[2 * (l - 1) + 1]);
        }
    }

    /** Uploads the epoch's order of the training samples (waits for the work still using the old one). */
    void setOrder(int[] epochOrder) {
        if (epochOrder.length != train.count()) {
            throw new IllegalArgumentException("Invalid order: " + epochOrder.length + " entries for " + train.count() + " samples");
        }
        enter();
        check(cuStreamSynchronize(backend.stream()), "waiting for the stream before uploading the epoch order");
        check(cuMemcpyHtoD(order.pointer(), Pointer.to(epochOrder), 4L * epochOrder.length), "uploading the epoch order");
        // from pageable memory the copy returns once staged; its DMA completes on the legacy stream, which a
        // non-blocking stream set with CudaBackend.setStream would not wait for (see CudaBuffer.write)
        check(cuStreamSynchronize(CU_STREAM_LEGACY), "waiting for the epoch order upload");
    }

    /**
     * Enqueues forward and backward on training samples {@code order[from..from+n)}: the gradient of the
     * batch-mean loss goes into the arena's gradients (every element overwritten), and the sum of the n
     * per-sample losses into batch-loss slot {@code step}. Returns at once.
     */
    void trainStep(int from, int n, int step) {
        if (n < 1 || n > maxBatch || from < 0 || from + n > train.count()) {
            throw new IllegalArgumentException("Invalid batch: rows [" + from + ", " + (from + n) + ") of " + train.count() + ", at most " + maxBatch);
        }
        if (step < 0 || step >= steps) throw new IllegalArgumentException("Invalid step: " + step + " (0.." + (steps - 1) + ")");
        CUstream s = enter();
        gather(trainImages, trainLabels, order.deviceAddress(), from, n, s);
        forward(n, s);
        softmax(n, deltas[layers].deviceAddress(), 0, s);
        // batch loss: sum of the n row losses, in double, into slot `step`
        launch(sumRows, sumRowsArgs.ptr(0, rowLoss.deviceAddress()).ptr(1, 0).i32(2, n)
                .ptr(3, batchSums.deviceAddress() + 8L * step).ptr(4, 0), 1, MlpKernelNames.SUM_THREADS, s, MlpKernelNames.SUM_ROWS);
        backward(n, s);
    }

    /** Waits for the stream and reads the batch-loss sums of steps [from, to). */
    double[] batchLosses(int from, int to) {
        if (from < 0 || to > steps || from > to) throw new IllegalArgumentException("Invalid step range [" + from + ", " + to + ")");
        double[] out = new double[to - from];
        if (out.length == 0) return out;
        CUstream s = enter();
        check(cuStreamSynchronize(s), "a training step on the GPU (cuStreamSynchronize)");
        check(cuMemcpyDtoH(Pointer.to(out), batchSums.pointer().withByteOffset(8L * from), 8L * out.length), "reading the batch losses");
        return out;
    }

    /** Loss and accuracy on the test set with the current parameters (forward only); waits for the result. */
    Mlp.Evaluation evaluate() {
        CUstream s = enter();
        int count = test.count();
        for (int from = 0; from < count; from += maxBatch) {
            int n = Math.min(maxBatch, count - from);
            gather(testImages, testLabels, 0, from, n, s);
            forward(n, s);
            softmax(n, 0, from, s);
        }
        launch(sumRows, sumRowsArgs.ptr(0, rowLoss.deviceAddress()).ptr(1, rowCorrect.deviceAddress()).i32(2, count)
                .ptr(3, evalOut.deviceAddress()).ptr(4, evalOut.deviceAddress() + 8), 1, MlpKernelNames.SUM_THREADS, s, MlpKernelNames.SUM_ROWS);
        check(cuStreamSynchronize(s), "the evaluation on the GPU (cuStreamSynchronize)");
        double[] loss = new double[1];
        long[] correct = new long[1];
        check(cuMemcpyDtoH(Pointer.to(loss), evalOut.pointer(), 8), "reading the evaluation loss");
        check(cuMemcpyDtoH(Pointer.to(correct), evalOut.pointer().withByteOffset(8), 8), "reading the evaluation accuracy");
        return new Mlp.Evaluation(loss[0] / count, (double) correct[0] / count);
    }

    // ------------------------------------------------------------------ the passes

    private void gather(CudaBuffer images, CudaBuffer imageLabels, long orderAddress, int from, int n, CUstream s) {
        int pixels = widths[0];
        // mlp_gather(images, labels, order, long long from, int n, int pixels, float* x, int* y)
        launch(gather, gatherArgs.ptr(0, images.deviceAddress()).ptr(1, imageLabels.deviceAddress()).ptr(2, orderAddress)
                .i64(3, from).i32(4, n).i32(5, pixels).ptr(6, acts[0].deviceAddress()).ptr(7, labels.deviceAddress()),
                blocks((long) n * pixels), MlpKernelNames.THREADS, s, MlpKernelNames.GATHER);
    }

    private void forward(int n, CUstream s) {
        for (int l = 1; l <= layers; l++) {
            int in = widths[l - 1], out = widths[l];
            // Y (out x n) = W (out x in) * X (in x n), column-major views
            gemm(cublasOperation.CUBLAS_OP_N, cublasOperation.CUBLAS_OP_N, out, n, in,
                    paramPtr(wOff[l]), out, acts[l - 1].pointer(), in, acts[l].pointer(), out, "forward of layer " + l);
            // mlp_bias_act(y, bias, rows, cols, relu)
            launch(biasAct, biasActArgs.ptr(0, acts[l].deviceAddress()).ptr(1, params.deviceAddress() + 4L * bOff[l])
                    .i32(2, n).i32(3, out).i32(4, l < layers ? 1 : 0), blocks((long) n * out), MlpKernelNames.THREADS, s,
                    MlpKernelNames.BIAS_ACT);
        }
    }

    /** Softmax cross-entropy of the n logit rows; row results at rows [at, at+n); the gradient into dAddress when not 0. */
    private void softmax(int n, long dAddress, int at, CUstream s) {
        int classes = widths[layers];
        float invN = 1f / n; // as the Java model: the gradient of the batch mean
        // mlp_softmax_xent(z, labels, int n, int classes, float inv_n, d, row_loss, row_correct)
        launch(softmaxXent, softmaxArgs.ptr(0, acts[layers].deviceAddress()).ptr(1, labels.deviceAddress()).i32(2, n)
                .i32(3, classes).f32(4, invN).ptr(5, dAddress).ptr(6, rowLoss.deviceAddress() + 4L * at)
                .ptr(7, rowCorrect.deviceAddress() + 4L * at), blocks(n), MlpKernelNames.THREADS, s, MlpKernelNames.SOFTMAX_XENT);
    }

    private void backward(int n, CUstream s) {
        for (int l = layers; l >= 1; l--) {
            int in = widths[l - 1], out = widths[l];
            // G (out x in) = D (out x n) * X^T (n x in): the [in][out] gradient, straight into the arena
            gemm(cublasOperation.CUBLAS_OP_N, cublasOperation.CUBLAS_OP_T, out, in, n,
                    deltas[l].pointer(), out, acts[l - 1].pointer(), in, grads.pointer().withByteOffset(4L * wOff[l]), out,
                    "weight gradient of layer " + l);
            // mlp_bias_grad(d, n, cols, g)
            launch(biasGrad, biasGradArgs.ptr(0, deltas[l].deviceAddress()).i32(1, n).i32(2, out)
                    .ptr(3, grads.deviceAddress() + 4L * bOff[l]), blocks(out), MlpKernelNames.THREADS, s, MlpKernelNames.BIAS_GRAD);
            if (l >= 2) {
                // DX (in x n) = W^T (in x out) * D (out x n), then through the ReLU of layer l-1's output
                gemm(cublasOperation.CUBLAS_OP_T, cublasOperation.CUBLAS_OP_N, in, n, out,
                        paramPtr(wOff[l]), out, deltas[l].pointer(), out, deltas[l - 1].pointer(), in, "input gradient of layer " + l);
                long count = (long) n * in;
                // mlp_relu_mask(h, dx, long long count)
                launch(reluMask, reluMaskArgs.ptr(0, acts[l - 1].deviceAddress()).ptr(1, deltas[l - 1].deviceAddress()).i64(2, count),
                        blocks(count), MlpKernelNames.THREADS, s, MlpKernelNames.RELU_MASK);
            }
        }
    }

    private Pointer paramPtr(long offset) {
        return params.pointer().withByteOffset(4L * offset);
    }

    /** C = op(A) op(B), beta 0 (C overwritten), column-major, on the bound stream. */
    private void gemm(int ta, int tb, int m, int n, int k, Pointer a, int lda, Pointer b, int ldb, Pointer c, int ldc, String what) {
        int r = JCublas2.cublasSgemm(handle, ta, tb, m, n, k, one, a, lda, b, ldb, zero, c, ldc);
        if (r != CUBLAS_OK) cublas(r, "cublasSgemm (" + what + ")");
    }

    // ------------------------------------------------------------------ plumbing

    /** Makes the context current, follows the backend's stream with cuBLAS, returns the stream. */
    private CUstream enter() {
        if (closed) throw new IllegalStateException("the CUDA MLP is closed");
        cuCtxSetCurrent(backend.context());
        CUstream s = backend.stream();
        if (s != cublasStream) bindStream();
        return s;
    }

    private void bindStream() {
        CUstream s = backend.stream();
        cublas(JCublas2.cublasSetStream(handle, new cudaStream_t(s)), "cublasSetStream");
        cublasStream = s;
    }

    private int blocks(long work) {
        long b = (work + MlpKernelNames.THREADS - 1) / MlpKernelNames.THREADS;
        return (int) Math.max(1, Math.min(b, maxBlocks));
    }

    private void launch(CUfunction f, Launch args, int grid, int threads, CUstream s, String name) {
        int r = cuLaunchKernel(f, grid, 1, 1, threads, 1, 1, 0, s, args.params, null);
        if (r != CUresult.CUDA_SUCCESS) check(r, "launch of " + name); // the message only when needed: no garbage per launch
    }

    private CudaBuffer alloc(String what, long elements) {
        Buffer b = backend.allocate("MLP " + what, Math.max(1, elements));
        CudaBuffer c = (CudaBuffer) b;
        owned.add(c);
        return c;
    }

    private CudaBuffer upload(String what, byte[] bytes) {
        CudaBuffer c = alloc(what, (bytes.length + 3L) / 4);
        cuCtxSetCurrent(backend.context());
        check(cuMemcpyHtoD(c.pointer(), Pointer.to(bytes), bytes.length), "uploading the " + what + " (" + bytes.length + " bytes)");
        check(cuStreamSynchronize(CU_STREAM_LEGACY), "waiting for the " + what + " upload"); // as in setOrder
        return c;
    }

    private static CUfunction function(CUmodule m, String name) {
        CUfunction f = new CUfunction();
        check(cuModuleGetFunction(f, m, name), "cuModuleGetFunction(" + name + ") in " + MlpKernelNames.PTX);
        return f;
    }

    static void check(int r, String what) {
        if (r != CUresult.CUDA_SUCCESS) throw new IllegalStateException("CUDA " + what + " failed: " + CUresult.stringFor(r));
    }

    static void cublas(int r, String what) {
        if (r != CUBLAS_OK) throw new IllegalStateException("cuBLAS " + what + " failed: " + cublasStatus.stringFor(r));
    }

    /** Frees the cuBLAS handle, every buffer and the arena (after the work on the stream); idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        RuntimeException first = null;
        try {
            if (handleCreated) {
                cuCtxSetCurrent(backend.context());
                cuStreamSynchronize(backend.stream());
                JCublas2.cublasDestroy(handle);
                handleCreated = false;
            }
        } catch (RuntimeException e) {
            first = e;
        }
        for (CudaBuffer b : owned) {
            try {
                b.close();
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        owned.clear();
        arena.close();
        if (first != null) throw first;
    }

    /**
     * The argument block of one kernel, built once: one direct buffer per argument, each rewritten in
     * place before a launch ({@code cuLaunchKernel} copies the values when it enqueues). The signature
     * string ({@link MlpKernelNames#signatures}) fixes each slot's kind; a put of another kind is a bug
     * and throws.
     */
    static final class Launch {
        private final String signature;
        private final ByteBuffer[] slots;
        final Pointer params;

        Launch(String signature) {
            this.signature = signature;
            slots = new ByteBuffer[signature.length()];
            Pointer[] p = new Pointer[slots.length];
            for (int i = 0; i < slots.length; i++) {
                char k = signature.charAt(i);
                int bytes = switch (k) {
                    case 'P', 'L' -> 8;
                    case 'I', 'F' -> 4;
                    default -> throw new IllegalArgumentException("Invalid signature letter '" + k + "' in " + signature);
                };
                slots[i] = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
                p[i] = Pointer.to(slots[i]);
            }
            params = Pointer.to(p);
        }

        private ByteBuffer slot(int i, char kind) {
            if (signature.charAt(i) != kind) {
                throw new IllegalStateException("argument " + i + " of a kernel with signature " + signature + " is not '" + kind + "'");
            }
            return slots[i];
        }

        Launch ptr(int i, long address) { slot(i, 'P').putLong(0, address); return this; }
        Launch i64(int i, long v) { slot(i, 'L').putLong(0, v); return this; }
        Launch i32(int i, int v) { slot(i, 'I').putInt(0, v); return this; }
        Launch f32(int i, float v) { slot(i, 'F').putFloat(0, v); return this; }
        long longAt(int i) { return slots[i].getLong(0); }
        int intAt(int i) { return slots[i].getInt(0); }
        float floatAt(int i) { return slots[i].getFloat(0); }
    }
}
