// reduce.cu — deterministic reductions over the arena: the gradient squared norm, the count of
// non-finite gradients, and the squared distance between fast and slow weights.
//
// Fixed order, no atomics, in two passes:
//   1. la_*_partial: a group's range [start, end) is cut into chunks of LA_CHUNK elements counted
//      from start; each chunk becomes one double partial, partials[c]. Inside a chunk thread t sums
//      elements start + c*LA_CHUNK + t, + t + LA_RED_THREADS, ... in order, then the block adds the
//      threads' sums in a fixed tree. Blocks walk the chunks grid-stride; which block does a chunk
//      does not change its value, so the result does not depend on the grid size (nor the GPU).
//   2. la_reduce_final: one block adds all partials of all groups (in the order the host laid them
//      out) the same way and writes out[0].
// Everything is accumulated in double, as separate IEEE adds and multiplies (-fmad=false). The CPU
// backend adds in exactly this order (src/main/java/dev/lookahead4j/cpu/ReductionOrder.java), so the
// sums are the same to the last bit on both, on any grid and any GPU.
#define LA_CHUNK 65536
#define LA_RED_THREADS 256

namespace {

__device__ __forceinline__ double la_block_sum(double v, double* sh) {
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int w = LA_RED_THREADS / 2; w > 0; w >>= 1) {
        if (threadIdx.x < w) sh[threadIdx.x] = sh[threadIdx.x] + sh[threadIdx.x + w];
        __syncthreads();
    }
    double r = sh[0];
    __syncthreads();
    return r;
}

// MODE 0: x^2   MODE 1: (x - y)^2   MODE 2: 1 if x is NaN or +-Inf (x - x != 0), else 0
template <int MODE>
__device__ __forceinline__ void la_partial(const float* __restrict__ x, const float* __restrict__ y,
                                           long long start, long long end, double* __restrict__ partials) {
    __shared__ double sh[LA_RED_THREADS];
    const long long n = end - start;
    const long long chunks = (n + LA_CHUNK - 1) / LA_CHUNK;
    for (long long c = blockIdx.x; c < chunks; c += gridDim.x) {
        const long long from = start + c * LA_CHUNK;
        const long long to = from + LA_CHUNK < end ? from + LA_CHUNK : end;
        double acc = 0.0;
        for (long long i = from + threadIdx.x; i < to; i += LA_RED_THREADS) {
            if (MODE == 0) {
                double d = (double) x[i];
                acc += d * d;
            } else if (MODE == 1) {
                double d = (double) x[i] - (double) y[i];
                acc += d * d;
            } else {
                float v = x[i];
                if (v - v != 0.0f) acc += 1.0;
            }
        }
        double s = la_block_sum(acc, sh);
        if (threadIdx.x == 0) partials[c] = s;
    }
}

}  // namespace

// partials must hold ceil((end - start) / LA_CHUNK) doubles for this group.
extern "C" __global__ void __launch_bounds__(LA_RED_THREADS)
la_sumsq_partial(const float* x, long long start, long long end, double* partials) {
    la_partial<0>(x, nullptr, start, end, partials);
}

extern "C" __global__ void __launch_bounds__(LA_RED_THREADS)
la_distsq_partial(const float* x, const float* y, long long start, long long end, double* partials) {
    la_partial<1>(x, y, start, end, partials);
}

extern "C" __global__ void __launch_bounds__(LA_RED_THREADS)
la_nonfinite_partial(const float* x, long long start, long long end, double* partials) {
    la_partial<2>(x, nullptr, start, end, partials);
}

// One block of LA_RED_THREADS threads: out[0] = the sum of partials[0 .. n).
extern "C" __global__ void __launch_bounds__(LA_RED_THREADS)
la_reduce_final(const double* partials, long long n, double* out) {
    __shared__ double sh[LA_RED_THREADS];
    double acc = 0.0;
    for (long long i = threadIdx.x; i < n; i += LA_RED_THREADS) acc += partials[i];
    double s = la_block_sum(acc, sh);
    if (threadIdx.x == 0) out[0] = s;
}
