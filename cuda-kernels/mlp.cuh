// mlp.cuh — the per-element, per-row and per-column math of the training demo's MLP kernels
// (cuda-kernels/mlp.cu), as __host__ __device__ functions so that native/host/mlp_host.cpp runs the
// very same code on the CPU and CI compares it with the Java model (src/main/java/dev/lookahead4j/
// train/MlpKernels.java, Dataset.gather) without a GPU.
//
// Each function reads like the Java it mirrors: same comparisons, same order of float operations.
// exp and log are evaluated in double and rounded to float, exactly as the Java writes
// (float) Math.exp(x) and (float) Math.log(x); CUDA's double exp/log, glibc's and Java's are each
// within an ulp of the exact double result, so after rounding to float they agree except when the
// exact value lies within a double ulp of a float rounding boundary (never seen in the tests).
// The matrix products are not here: they are cuBLAS SGEMM calls, whose summation order is cuBLAS's
// own, so the CUDA model is close to, not bit-identical with, the Java model.
#ifndef LOOKAHEAD4J_MLP_CUH
#define LOOKAHEAD4J_MLP_CUH

#ifdef __CUDACC__
#define MLP_HD __host__ __device__ __forceinline__
#else
#include <math.h>
#define MLP_HD inline
#endif

// Threads per block of the loss reduction (mlp_sum_rows); the Java launcher uses the same number.
#define MLP_SUM_THREADS 256

// Dataset.gather: (images[s*pixels + j] & 0xff) / 255f
MLP_HD float mlp_pixel(unsigned char v) { return (float) v / 255.0f; }

// MlpKernels.relu: y > 0 ? y : 0 (NaN and -0 become +0)
MLP_HD float mlp_relu(float y) { return y > 0.0f ? y : 0.0f; }

// MlpKernels.mask: the gradient through a ReLU whose output was h
MLP_HD float mlp_relu_grad(float h, float dx) { return h > 0.0f ? dx : 0.0f; }

// (float) Math.exp(x), (float) Math.log(x)
MLP_HD float mlp_exp(float x) { return (float) exp((double) x); }
MLP_HD float mlp_log(float x) { return (float) log((double) x); }

// MlpKernels.softmaxCrossEntropy for one row r of `classes` logits with label `label`: returns the
// row's loss, sets *correct to 1 when the largest logit (the first on ties) is the label, else 0,
// and when g is not null writes the gradient of the batch mean, (softmax - onehot) * inv_n, where
// inv_n = 1f / n was computed by the caller (in Java, as float).
MLP_HD float mlp_softmax_xent_row(const float* r, int classes, int label, float inv_n, float* g, int* correct) {
    float max = r[0];
    int arg = 0;
    for (int c = 1; c < classes; c++) {
        if (r[c] > max) {
            max = r[c];
            arg = c;
        }
    }
    *correct = arg == label ? 1 : 0;
    float sum = 0.0f;
    for (int c = 0; c < classes; c++) sum += mlp_exp(r[c] - max);
    const float loss = max + mlp_log(sum) - r[label];
    if (g != 0) {
        for (int c = 0; c < classes; c++) {
            const float p = mlp_exp(r[c] - max) / sum;
            g[c] = (c == label ? p - 1.0f : p) * inv_n;
        }
    }
    return loss;
}

// MlpKernels.biasGrad for one column o: g = d[0][o] + d[1][o] + ... + d[n-1][o], in that order.
// d is row-major with `cols` columns.
MLP_HD float mlp_bias_grad_column(const float* d, int n, int cols, int o) {
    float g = d[o];
    for (int b = 1; b < n; b++) g = g + d[(long long) b * cols + o];
    return g;
}

// The loss reduction's per-thread part: thread t of MLP_SUM_THREADS sums loss[t], loss[t + T], ...
// in order, in double (and the correct flags, when given). The kernel then adds the threads' sums in
// a fixed tree (mlp_tree_sum below), so the result depends on n only, not on the GPU.
MLP_HD void mlp_sum_part(const float* loss, const int* correct, int n, int t, double* acc, long long* hits) {
    double a = 0.0;
    long long h = 0;
    for (int i = t; i < n; i += MLP_SUM_THREADS) {
        a += (double) loss[i];
        if (correct != 0) h += correct[i];
    }
    *acc = a;
    *hits = h;
}

// The fixed tree over MLP_SUM_THREADS values, in place: step w adds v[t + w] into v[t] for t < w,
// w = T/2, T/4, ..., 1; the result is v[0]. The kernel runs each step in parallel between barriers;
// the host program runs it sequentially, which gives the same sums (each v[t] is written once per step
// from values of the previous step).
template <typename T>
MLP_HD void mlp_tree_step(T* v, int w, int t) {
    if (t < w) v[t] = v[t] + v[t + w];
}

#endif  // LOOKAHEAD4J_MLP_CUH
