// mlp.cu — the small kernels of the training demo's MLP on CUDA (src/main/java/dev/lookahead4j/train/
// CudaMlp.java). The matrix products are cuBLAS SGEMM calls made by the Java side; these kernels do
// the rest of a training step on the device: gather a batch, bias + ReLU, softmax cross-entropy and
// its gradient, the bias gradients, the ReLU mask of the input gradients, and a deterministic sum of
// the per-row losses (and correct predictions).
//
// Layout: every matrix is row-major, one row per sample: X[b][i] at b*cols + i. (cuBLAS, column-major,
// sees the same memory as the transposed matrix; CudaMlp.java says which product is which.)
//
// Deterministic: no atomics; every output element is written by one thread from a fixed sequence of
// operations (the per-element math is in mlp.cuh, shared with the host check native/host/mlp_host.cpp).
// Built like the other kernels (native/Makefile): -fmad=false, IEEE division and square root, no fast math.
//
// Signatures are the ABI: each kernel's Java launcher in CudaMlp.java passes the same arguments in the
// same order (pointers as 64-bit device addresses, int as 32-bit, long long as 64-bit, float as 32-bit).
#include "mlp.cuh"

#define MLP_THREADS 256

// x[k*pixels + j] = images[s*pixels + j] / 255 and y[k] = labels[s], with s = order[from + k] (or
// from + k when order is null), for k in [0, n), j in [0, pixels).
extern "C" __global__ void __launch_bounds__(MLP_THREADS)
mlp_gather(const unsigned char* __restrict__ images, const unsigned char* __restrict__ labels,
           const int* __restrict__ order, long long from, int n, int pixels,
           float* __restrict__ x, int* __restrict__ y) {
    const long long total = (long long) n * pixels;
    for (long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (long long) gridDim.x * blockDim.x) {
        const long long k = e / pixels;
        const long long j = e - k * pixels;
        const long long s = order != 0 ? (long long) order[from + k] : from + k;
        x[e] = mlp_pixel(images[s * pixels + j]);
        if (j == 0) y[k] = labels[s];
    }
}

// y[r][c] = y[r][c] + bias[c], then max(0, .) when relu != 0, over rows x cols.
extern "C" __global__ void __launch_bounds__(MLP_THREADS)
mlp_bias_act(float* __restrict__ y, const float* __restrict__ bias, int rows, int cols, int relu) {
    const long long total = (long long) rows * cols;
    for (long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (long long) gridDim.x * blockDim.x) {
        const int c = (int) (e % cols);
        float v = y[e] + bias[c];
        if (relu) v = mlp_relu(v);
        y[e] = v;
    }
}

// One thread per row b in [0, n): row_loss[b], row_correct[b], and (when d is not null) the gradient
// of the batch-mean loss d[b][.] from the logits z[b][.].
extern "C" __global__ void __launch_bounds__(MLP_THREADS)
mlp_softmax_xent(const float* __restrict__ z, const int* __restrict__ labels, int n, int classes, float inv_n,
                 float* __restrict__ d, float* __restrict__ row_loss, int* __restrict__ row_correct) {
    for (int b = blockIdx.x * blockDim.x + threadIdx.x; b < n; b += gridDim.x * blockDim.x) {
        const long long at = (long long) b * classes;
        int ok;
        row_loss[b] = mlp_softmax_xent_row(z + at, classes, labels[b], inv_n, d != 0 ? d + at : 0, &ok);
        row_correct[b] = ok;
    }
}

// One thread per column o in [0, cols): g[o] = sum over the n rows of d[b][o], in row order.
extern "C" __global__ void __launch_bounds__(MLP_THREADS)
mlp_bias_grad(const float* __restrict__ d, int n, int cols, float* __restrict__ g) {
    for (int o = blockIdx.x * blockDim.x + threadIdx.x; o < cols; o += gridDim.x * blockDim.x) {
        g[o] = mlp_bias_grad_column(d, n, cols, o);
    }
}

// dx[e] = h[e] > 0 ? dx[e] : 0 over `count` elements (the input gradient through the ReLU whose
// output was h).
extern "C" __global__ void __launch_bounds__(MLP_THREADS)
mlp_relu_mask(const float* __restrict__ h, float* __restrict__ dx, long long count) {
    for (long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x; e < count; e += (long long) gridDim.x * blockDim.x) {
        dx[e] = mlp_relu_grad(h[e], dx[e]);
    }
}

// One block of MLP_SUM_THREADS threads: *out_loss = sum of loss[0..n) in double, and when correct and
// out_correct are not null, *out_correct = number of ones in correct[0..n). Fixed order (mlp_sum_part,
// then a fixed tree): the same bits on every run and every GPU.
extern "C" __global__ void __launch_bounds__(MLP_SUM_THREADS)
mlp_sum_rows(const float* __restrict__ loss, const int* __restrict__ correct, int n,
             double* __restrict__ out_loss, long long* __restrict__ out_correct) {
    __shared__ double sh[MLP_SUM_THREADS];
    __shared__ long long hits[MLP_SUM_THREADS];
    const int t = threadIdx.x;
    double a;
    long long h;
    mlp_sum_part(loss, out_correct != 0 ? correct : 0, n, t, &a, &h);
    sh[t] = a;
    hits[t] = h;
    __syncthreads();
    for (int w = MLP_SUM_THREADS / 2; w > 0; w >>= 1) {
        mlp_tree_step(sh, w, t);
        mlp_tree_step(hits, w, t);
        __syncthreads();
    }
    if (t == 0) {
        *out_loss = sh[0];
        if (out_correct != 0) *out_correct = hits[0];
    }
}
