// cublas_emu.cpp — the part of cuBLAS the training demo uses (SGEMM), as libcublas.so.12 for
// cuda-emu, so CudaMlp (JCublas2 + cuda-kernels/mlp.cu) runs in CI without a GPU.
//
// cublasSgemm first waits for the handle's stream (cuda-emu's cuStreamSynchronize, so the kernels
// enqueued before it have run), then computes C = alpha*op(A)*op(B) + beta*C at once, column-major,
// as cuBLAS defines it; with beta == 0, C is not read (device memory starts as NaNs in cuda-emu, as a
// real GEMM must not read it either). The sum over k runs in order, float, no FMA: it is not cuBLAS's
// order, so results match the Java model within the tolerances CudaMlpTest allows, not bit for bit.
// Exported with the version node libcublas.so.12, which JCublas's binding asks for.
#include <cstddef>
#include <cstdio>

typedef int cublasStatus_t;
typedef int CUresult;

extern "C" CUresult cuStreamSynchronize(void* stream);

namespace {

enum : int { OK = 0, NOT_INITIALIZED = 1, INVALID_VALUE = 7, EXECUTION_FAILED = 13, NOT_SUPPORTED = 15 };

struct Handle {
    void* stream = nullptr;
    int math_mode = 0;
    int pointer_mode = 0;  // 0 host, 1 device: both are host addresses in cuda-emu
    bool live = true;
};

int fail(int code, const char* what) {
    std::fprintf(stderr, "[cuda-emu cuBLAS] %s\n", what);
    std::fflush(stderr);
    return code;
}

float at(const float* x, int ld, int row, int col) { return x[(std::size_t) col * ld + row]; }

}  // namespace

#define EMU_API extern "C" __attribute__((visibility("default")))

EMU_API cublasStatus_t cublasCreate_v2(Handle** h) {
    if (h == nullptr) return INVALID_VALUE;
    *h = new Handle();
    return OK;
}

EMU_API cublasStatus_t cublasDestroy_v2(Handle* h) {
    if (h == nullptr || !h->live) return NOT_INITIALIZED;
    h->live = false;
    delete h;
    return OK;
}

EMU_API cublasStatus_t cublasGetVersion_v2(Handle* h, int* v) {
    if (h == nullptr || v == nullptr) return INVALID_VALUE;
    *v = 120600;
    return OK;
}

EMU_API cublasStatus_t cublasGetProperty(int type, int* v) {
    if (v == nullptr) return INVALID_VALUE;
    *v = type == 0 ? 12 : type == 1 ? 6 : 0;
    return OK;
}

EMU_API cublasStatus_t cublasSetStream_v2(Handle* h, void* stream) {
    if (h == nullptr) return NOT_INITIALIZED;
    h->stream = stream;
    return OK;
}

EMU_API cublasStatus_t cublasGetStream_v2(Handle* h, void** stream) {
    if (h == nullptr || stream == nullptr) return INVALID_VALUE;
    *stream = h->stream;
    return OK;
}

EMU_API cublasStatus_t cublasSetMathMode(Handle* h, int mode) {
    if (h == nullptr) return NOT_INITIALIZED;
    h->math_mode = mode;
    return OK;
}

EMU_API cublasStatus_t cublasSetPointerMode_v2(Handle* h, int mode) {
    if (h == nullptr) return NOT_INITIALIZED;
    if (mode != 0 && mode != 1) return INVALID_VALUE;
    h->pointer_mode = mode;
    return OK;
}

EMU_API cublasStatus_t cublasGetPointerMode_v2(Handle* h, int* mode) {
    if (h == nullptr || mode == nullptr) return INVALID_VALUE;
    *mode = h->pointer_mode;
    return OK;
}

EMU_API cublasStatus_t cublasSgemm_v2(Handle* h, int transa, int transb, int m, int n, int k, const float* alpha,
                                      const float* a, int lda, const float* b, int ldb, const float* beta, float* c,
                                      int ldc) {
    if (h == nullptr) return NOT_INITIALIZED;
    if (transa < 0 || transa > 2 || transb < 0 || transb > 2 || m < 0 || n < 0 || k < 0 || alpha == nullptr || beta == nullptr) {
        return fail(INVALID_VALUE, "cublasSgemm: invalid operation, size or scalar pointer");
    }
    const bool ta = transa != 0, tb = transb != 0;
    if (lda < (ta ? (k > 1 ? k : 1) : (m > 1 ? m : 1)) || ldb < (tb ? (n > 1 ? n : 1) : (k > 1 ? k : 1)) || ldc < (m > 1 ? m : 1)) {
        return fail(INVALID_VALUE, "cublasSgemm: a leading dimension is smaller than its matrix");
    }
    if (cuStreamSynchronize(h->stream) != 0) return fail(EXECUTION_FAILED, "cublasSgemm: the stream failed before it");
    const float al = *alpha, be = *beta;
    for (int col = 0; col < n; col++) {
        for (int row = 0; row < m; row++) {
            float sum = 0.0f;
            for (int p = 0; p < k; p++) {
                float x = ta ? at(a, lda, p, row) : at(a, lda, row, p);
                float y = tb ? at(b, ldb, col, p) : at(b, ldb, p, col);
                sum = sum + x * y;
            }
            float* out = c + (std::size_t) col * ldc + row;
            *out = be == 0.0f ? al * sum : al * sum + be * *out;
        }
    }
    return OK;
}
