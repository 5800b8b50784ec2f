package dev.lookahead4j.train;

import dev.lookahead4j.cpu.WorkerPool;

import dev.lookahead4j.Device;
import dev.lookahead4j.ParamArena;
import java.util.Arrays;
import java.util.Random;

/**
 * A multilayer perceptron (fully connected layers, ReLU between them, softmax cross-entropy on the
 * last) whose parameters live in a CPU {@link ParamArena}: the forward pass reads the arena's values
 * and the backward pass writes the gradient of the batch-mean loss straight into the arena's gradient
 * array (every element overwritten, so no zeroGrad is needed); an {@code Optimizer} over the same arena
 * then steps.
 *
 * <p>Parameters: {@code fc1.weight, fc2.weight, ...} in group {@value #WEIGHTS}, {@code fc1.bias, ...}
 * in group {@value #BIASES}. A weight is stored input-major, {@code [in][out]}: the transpose of
 * PyTorch's {@code nn.Linear.weight}. Initialisation follows {@code nn.Linear}: weights and biases
 * uniform in {@code [-1/sqrt(fan_in), 1/sqrt(fan_in)]}, drawn from {@code java.util.Random(seed)}.
 *
 * <p>The kernels work on arrays of rows ({@link MlpKernels} says why): before each forward pass the
 * weights are copied from the arena into row arrays (one pass over the parameters, about 1/128 of the
 * work of a batch of 128), and each weight-gradient row is copied into the arena's gradient array.
 * All activations and gradients are allocated once, for batches of up to {@code maxBatch} rows.
 * Matrix products run on a pool of {@code threads} threads and give the same bits for any thread
 * count ({@link MlpKernels}). Float32 throughout; losses are summed in double for reporting.
 * Not thread-safe.
 */
public final class Mlp implements AutoCloseable {
    /** Group of the weight matrices. */
    public static final String WEIGHTS = "weights";
    /** Group of the bias vectors. */
    public static final String BIASES = "biases";

    private final int[] widths;
    private final int layers;
    private final int maxBatch;
    private final ParamArena arena;
    private final float[] params, grads;
    private final int[] wOff, bOff;
    /** acts[l][b]: the input batch (l = 0), layer l's output (after ReLU except for the last, the logits). */
    private final float[][][] acts;
    /** deltas[l][b]: gradient of the loss w.r.t. layer l's pre-activation output (l >= 1). */
    private final float[][][] deltas;
    /** wRows[l][i]: row i of layer l's [in][out] weight, packed from the arena before each forward pass. */
    private final float[][][] wRows;
    /** bias[l]: layer l's bias, packed with the weights. */
    private final float[][] bias;
    /** gRows[l][i]: row i of layer l's weight gradient, copied into the arena's gradient array. */
    private final float[][][] gRows;
    /** [out][in] copies of the weights of layers 2..L, for the input gradients. */
    private final float[][][] wTransposed;
    private final float[] rowLoss;
    private final byte[] batchLabels;
    private final WorkerPool pool;
    private final int[] correctPerWorker;

    // the operation a pool task runs, and its arguments (set before each dispatch; no allocation per call)
    private int opLayer, opRows;
    private boolean opTrain;
    private final WorkerPool.Task packTask = this::packPart;
    private final WorkerPool.Task forwardTask = this::forwardPart;
    private final WorkerPool.Task weightGradTask = this::weightGradPart;
    private final WorkerPool.Task inputGradTask = this::inputGradPart;
    private final WorkerPool.Task lossTask = this::lossPart;

    /**
     * Builds the arena on {@code device} (a CPU device) and the buffers.
     *
     * @param widths   layer widths, input first, classes last (e.g. 784, 256, 128, 10); at least two
     * @param maxBatch the largest batch that {@link #trainStep} or {@link #evaluate} will be given
     * @param threads  threads for the matrix products
     */
    public Mlp(Device device, int[] widths, int maxBatch, int threads) {
        if (device == null) throw new IllegalArgumentException("Invalid device: null");
        if (device.kind() != Device.Kind.CPU) {
            throw new IllegalArgumentException("Invalid device: " + device.describe() + " (the Java MLP runs on a CPU device)");
        }
        checkWidths(widths);
        if (maxBatch < 1) throw new IllegalArgumentException("Invalid maxBatch: " + maxBatch + " (must be >= 1)");
        if (threads < 1) throw new IllegalArgumentException("Invalid threads: " + threads + " (must be >= 1)");
        this.widths = widths.clone();
        this.layers = widths.length - 1;
        this.maxBatch = maxBatch;
        this.arena = newArena(device, widths);
        this.params = arena.paramsArray();
        this.grads = arena.gradsArray();
        wOff = new int[layers + 1];
        bOff = new int[layers + 1];
        for (int l = 1; l <= layers; l++) {
            wOff[l] = Math.toIntExact(arena.param(weightName(l)).offset());
            bOff[l] = Math.toIntExact(arena.param(biasName(l)).offset());
        }
        acts = new float[layers + 1][][];
        deltas = new float[layers + 1][][];
        wRows = new float[layers + 1][][];
        bias = new float[layers + 1][];
        gRows = new float[layers + 1][][];
        wTransposed = new float[layers + 1][][];
        for (int l = 0; l <= layers; l++) {
            acts[l] = new float[maxBatch][widths[l]];
            if (l >= 1) {
                deltas[l] = new float[maxBatch][widths[l]];
                wRows[l] = new float[widths[l - 1]][widths[l]];
                gRows[l] = new float[widths[l - 1]][widths[l]];
                bias[l] = new float[widths[l]];
            }
            if (l >= 2) wTransposed[l] = new float[widths[l]][widths[l - 1]];
        }
        rowLoss = new float[maxBatch];
        batchLabels = new byte[maxBatch];
        pool = new WorkerPool(threads, "lookahead4j-train");
        correctPerWorker = new int[threads];
    }

    /** Name of layer l's weight (l from 1). */
    public static String weightName(int l) { return "fc" + l + ".weight"; }

    /** Name of layer l's bias (l from 1). */
    public static String biasName(int l) { return "fc" + l + ".bias"; }

    public ParamArena arena() { return arena; }

    public int[] widths() { return widths.clone(); }

    public int maxBatch() { return maxBatch; }

    /** Number of parameters (weights and biases). */
    public long parameterCount() { return arena.parameterCount(); }

    /** Initialises like {@code nn.Linear}: every weight and bias of layer l uniform in +-1/sqrt(in_l). */
    public void initialize(long seed) {
        float[][] v = initialValues(widths, seed);
        for (int l = 1; l <= layers; l++) {
            System.arraycopy(v[2 * (l - 1)], 0, params, wOff[l], v[2 * (l - 1)].length);
            System.arraycopy(v[2 * (l - 1) + 1], 0, params, bOff[l], v[2 * (l - 1) + 1].length);
        }
    }

    /**
     * The initial values of every parameter: element {@code 2(l-1)} is layer l's weight ([in][out]),
     * {@code 2(l-1)+1} its bias, each uniform in +-1/sqrt(in_l), drawn from {@code java.util.Random(seed)}
     * in that order (the CPU and the CUDA model start from the same values).
     */
    static float[][] initialValues(int[] widths, long seed) {
        Random r = new Random(seed);
        float[][] v = new float[2 * (widths.length - 1)][];
        for (int l = 1; l < widths.length; l++) {
            float bound = (float) (1.0 / Math.sqrt(widths[l - 1]));
            float[] w = new float[Math.multiplyExact(widths[l - 1], widths[l])], bias = new float[widths[l]];
            for (int k = 0; k < w.length; k++) w[k] = (2f * r.nextFloat() - 1f) * bound;
            for (int k = 0; k < bias.length; k++) bias[k] = (2f * r.nextFloat() - 1f) * bound;
            v[2 * (l - 1)] = w;
            v[2 * (l - 1) + 1] = bias;
        }
        return v;
    }

    /** Checks layer widths: at least two, each in [1, 65536], at least 2 classes, at most 2^28 weights. */
    static void checkWidths(int[] widths) {
        if (widths == null || widths.length < 2) throw new IllegalArgumentException("Invalid widths: need at least input and output widths");
        for (int w : widths) if (w < 1 || w > 1 << 16) throw new IllegalArgumentException("Invalid layer width: " + w + " (must be in [1, 65536])");
        if (widths[widths.length - 1] < 2) throw new IllegalArgumentException("Invalid number of classes: " + widths[widths.length - 1] + " (must be >= 2)");
        long weights = 0;
        for (int l = 1; l < widths.length; l++) weights += (long) widths[l - 1] * widths[l];
        if (weights > 1L << 28) {
            throw new IllegalArgumentException("Invalid widths: " + Arrays.toString(widths) + " give " + weights
                    + " weights (at most 268435456 in this demo)");
        }
    }

    /** The model's arena on {@code device}: the weights in group {@value #WEIGHTS}, then the biases in {@value #BIASES}. */
    static ParamArena newArena(Device device, int[] widths) {
        ParamArena.Builder b = ParamArena.builder().group(WEIGHTS);
        for (int l = 1; l < widths.length; l++) b.add(weightName(l), Math.multiplyExact(widths[l - 1], widths[l]));
        b.group(BIASES);
        for (int l = 1; l < widths.length; l++) b.add(biasName(l), widths[l]);
        return b.build(device);
    }

    /** Checks that {@code data} fits a model of these widths (pixels and classes). */
    static void checkData(Dataset data, int[] widths) {
        if (data.pixels() != widths[0]) {
            throw new IllegalArgumentException("Dataset '" + data.name() + "' has " + data.pixels() + " pixels per image, the model's input width is " + widths[0]);
        }
        if (data.classes() != widths[widths.length - 1]) {
            throw new IllegalArgumentException("Dataset '" + data.name() + "' has " + data.classes() + " classes, the model's output width is " + widths[widths.length - 1]);
        }
    }

    /**
     * Forward and backward on samples {@code order[from..from+n)} of {@code data}: writes the gradient
     * of the mean loss into the arena and returns the sum of the n per-sample losses.
     */
    public double trainStep(Dataset data, int[] order, int from, int n) {
        checkBatch(data, n);
        data.gather(order, from, n, acts[0], batchLabels);
        pool.run(packTask);
        forward(n);
        loss(n, true);
        double sum = 0;
        for (int b = 0; b < n; b++) sum += rowLoss[b];
        backward(n);
        return sum;
    }

    /** Loss and accuracy on a whole dataset with the current parameters (forward only). */
    public Evaluation evaluate(Dataset data) {
        int[] order = identity(data.count());
        double lossSum = 0;
        long correct = 0;
        pool.run(packTask);
        for (int from = 0; from < data.count(); from += maxBatch) {
            int n = Math.min(maxBatch, data.count() - from);
            checkBatch(data, n);
            data.gather(order, from, n, acts[0], batchLabels);
            forward(n);
            correct += loss(n, false);
            for (int b = 0; b < n; b++) lossSum += rowLoss[b];
        }
        return new Evaluation(lossSum / data.count(), (double) correct / data.count());
    }

    private int[] evalOrder;

    private int[] identity(int n) {
        if (evalOrder == null || evalOrder.length != n) {
            evalOrder = new int[n];
            for (int i = 0; i < n; i++) evalOrder[i] = i;
        }
        return evalOrder;
    }

    /** Mean loss and accuracy over a dataset. */
    public record Evaluation(double loss, double accuracy) { }

    /** The logits of the last forward pass, row b (for tests). */
    float[] logits(int b) {
        return Arrays.copyOf(acts[layers][b], widths[layers]);
    }

    private void checkBatch(Dataset data, int n) {
        if (n < 1 || n > maxBatch) throw new IllegalArgumentException("Invalid batch size: " + n + " (must be in [1, " + maxBatch + "])");
        checkData(data, widths);
    }

    private void forward(int n) {
        opRows = n;
        for (int l = 1; l <= layers; l++) {
            opLayer = l;
            pool.run(forwardTask);
        }
    }

    /**
     * The start of worker {@code w}'s share of {@code n} rows split in blocks of {@code block} rows: a fixed
     * partition, so which thread computes an element never changes how it is computed (results do not
     * depend on the thread count).
     */
    static int range(int n, int block, int w, int workers) {
        int blocks = (n + block - 1) / block;
        return Math.min(n, (int) ((long) blocks * w / workers) * block);
    }

    /** Copies the arena's weights and biases into the row arrays the kernels read (rows split over workers). */
    private void packPart(int w) {
        final int workers = pool.size();
        for (int l = 1; l <= layers; l++) {
            int in = widths[l - 1], out = widths[l];
            int i0 = range(in, 1, w, workers), i1 = range(in, 1, w + 1, workers);
            for (int i = i0; i < i1; i++) System.arraycopy(params, wOff[l] + i * out, wRows[l][i], 0, out);
            if (w == 0) System.arraycopy(params, bOff[l], bias[l], 0, out);
        }
    }

    private void forwardPart(int w) {
        final int workers = pool.size();
        int l = opLayer;
        int b0 = range(opRows, 2, w, workers), b1 = range(opRows, 2, w + 1, workers);
        MlpKernels.forward(acts[l - 1], widths[l - 1], wRows[l], bias[l], widths[l], acts[l], b0, b1, l < layers);
    }

    private int loss(int n, boolean train) {
        opRows = n;
        opTrain = train;
        pool.run(lossTask);
        int c = 0;
        for (int v : correctPerWorker) c += v;
        return c;
    }

    private void lossPart(int w) {
        final int workers = pool.size();
        int b0 = range(opRows, 1, w, workers), b1 = range(opRows, 1, w + 1, workers);
        correctPerWorker[w] = MlpKernels.softmaxCrossEntropy(acts[layers], widths[layers], batchLabels, opRows, rowLoss,
                opTrain ? deltas[layers] : null, b0, b1);
    }

    private void backward(int n) {
        opRows = n;
        for (int l = layers; l >= 1; l--) {
            opLayer = l;
            pool.run(weightGradTask);
            MlpKernels.biasGrad(deltas[l], widths[l], n, grads, bOff[l]);
            if (l >= 2) pool.run(inputGradTask);
        }
    }

    private void weightGradPart(int w) {
        final int workers = pool.size();
        int l = opLayer;
        int in = widths[l - 1];
        int out = widths[l];
        int i0 = range(in, 2, w, workers), i1 = range(in, 2, w + 1, workers);
        MlpKernels.weightGrad(acts[l - 1], deltas[l], out, opRows, gRows[l], i0, i1);
        for (int i = i0; i < i1; i++) System.arraycopy(gRows[l][i], 0, grads, wOff[l] + i * out, out);
        // the [out][in] copy of the weights for the input gradient
        if (l >= 2) {
            int o0 = range(out, 1, w, workers), o1 = range(out, 1, w + 1, workers);
            float[][] src = wRows[l], dst = wTransposed[l];
            for (int o = o0; o < o1; o++) {
                float[] row = dst[o];
                for (int i = 0; i < in; i++) row[i] = src[i][o];
            }
        }
    }

    private void inputGradPart(int w) {
        final int workers = pool.size();
        int l = opLayer;
        int b0 = range(opRows, 2, w, workers), b1 = range(opRows, 2, w + 1, workers);
        MlpKernels.inputGrad(deltas[l], widths[l], wTransposed[l], widths[l - 1], acts[l - 1], deltas[l - 1], b0, b1);
    }

    /** Closes the thread pool and the arena (not the device). Idempotent. */
    @Override
    public void close() {
        pool.close();
        arena.close();
    }
}
