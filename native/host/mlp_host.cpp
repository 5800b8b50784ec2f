// mlp_host — runs the MLP kernels' math (cuda-kernels/mlp.cuh) on the CPU, with the kernels' own
// index arithmetic (each loop body below is the body of the kernel of the same name in
// cuda-kernels/mlp.cu, run for every thread index in turn), so that CI, which has no GPU, compares it
// with the Java model (src/test/java/dev/lookahead4j/train/MlpHostKernelTest.java).
//
// Built by native/Makefile with g++ -ffp-contract=off (no FMA contraction).
//
//   mlp_host IN OUT
//
// IN and OUT are little-endian binary files: "MLH1", int32 records, then per record an int32 op and:
//   op 1 softmax_xent  IN:  int32 n, classes; float inv_n; int32 want_grad; int32 labels[n]; float z[n*classes]
//                      OUT: float loss[n]; int32 correct[n]; float d[n*classes] (zeros unless want_grad)
//   op 2 bias_grad     IN:  int32 n, cols; float d[n*cols]                OUT: float g[cols]
//   op 3 bias_act      IN:  int32 rows, cols, relu; float y[rows*cols]; float bias[cols]
//                      OUT: float y[rows*cols]
//   op 4 relu_mask     IN:  int32 count; float h[count]; float dx[count]  OUT: float dx[count]
//   op 5 pixel         IN:  int32 count; uint8 v[count]                   OUT: float x[count]
//   op 6 sum_rows      IN:  int32 n, has_correct; float loss[n]; int32 correct[n]
//                      OUT: double sum; int64 hits (0 unless has_correct)
// OUT starts with "MLH1" and the record count, then each record's outputs.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../../cuda-kernels/mlp.cuh"

namespace {

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "mlp_host: %s\n", what);
    std::exit(2);
}

std::FILE* in;
std::FILE* out;

template <typename T>
T get() {
    T v;
    if (std::fread(&v, sizeof v, 1, in) != 1) die("truncated input");
    return v;
}

template <typename T>
std::vector<T> get_n(long long n) {
    if (n < 0 || n > (1LL << 28)) die("bad element count");
    std::vector<T> v(static_cast<size_t>(n));
    if (n > 0 && std::fread(v.data(), sizeof(T), static_cast<size_t>(n), in) != static_cast<size_t>(n)) die("truncated input");
    return v;
}

template <typename T>
void put(const std::vector<T>& v) {
    if (!v.empty()) std::fwrite(v.data(), sizeof(T), v.size(), out);
}

template <typename T>
void put1(T v) {
    std::fwrite(&v, sizeof v, 1, out);
}

int32_t positive(int32_t v) {
    if (v < 1) die("bad size");
    return v;
}

void softmax_xent() {
    const int32_t n = positive(get<int32_t>()), classes = positive(get<int32_t>());
    const float inv_n = get<float>();
    const int32_t want_grad = get<int32_t>();
    std::vector<int32_t> labels = get_n<int32_t>(n);
    std::vector<float> z = get_n<float>(static_cast<long long>(n) * classes);
    std::vector<float> loss(n), d(static_cast<size_t>(n) * classes, 0.0f);
    std::vector<int32_t> correct(n);
    float* dp = want_grad ? d.data() : nullptr;
    for (int b = 0; b < n; b++) {  // mlp_softmax_xent, thread b
        const long long at = static_cast<long long>(b) * classes;
        int ok;
        loss[b] = mlp_softmax_xent_row(z.data() + at, classes, labels[b], inv_n, dp != nullptr ? dp + at : nullptr, &ok);
        correct[b] = ok;
    }
    put(loss);
    put(correct);
    put(d);
}

void bias_grad() {
    const int32_t n = positive(get<int32_t>()), cols = positive(get<int32_t>());
    std::vector<float> d = get_n<float>(static_cast<long long>(n) * cols);
    std::vector<float> g(cols);
    for (int o = 0; o < cols; o++) g[o] = mlp_bias_grad_column(d.data(), n, cols, o);  // mlp_bias_grad, thread o
    put(g);
}

void bias_act() {
    const int32_t rows = positive(get<int32_t>()), cols = positive(get<int32_t>()), relu = get<int32_t>();
    const long long total = static_cast<long long>(rows) * cols;
    std::vector<float> y = get_n<float>(total);
    std::vector<float> bias = get_n<float>(cols);
    for (long long e = 0; e < total; e++) {  // mlp_bias_act, element e
        const int c = static_cast<int>(e % cols);
        float v = y[e] + bias[c];
        if (relu) v = mlp_relu(v);
        y[e] = v;
    }
    put(y);
}

void relu_mask() {
    const int32_t count = get<int32_t>();
    std::vector<float> h = get_n<float>(count), dx = get_n<float>(count);
    for (long long e = 0; e < count; e++) dx[e] = mlp_relu_grad(h[e], dx[e]);  // mlp_relu_mask, element e
    put(dx);
}

void pixel() {
    const int32_t count = get<int32_t>();
    std::vector<unsigned char> v = get_n<unsigned char>(count);
    std::vector<float> x(count);
    for (long long e = 0; e < count; e++) x[e] = mlp_pixel(v[e]);
    put(x);
}

void sum_rows() {
    const int32_t n = positive(get<int32_t>()), has_correct = get<int32_t>();
    std::vector<float> loss = get_n<float>(n);
    std::vector<int32_t> correct = get_n<int32_t>(n);
    double sh[MLP_SUM_THREADS];
    long long hits[MLP_SUM_THREADS];
    for (int t = 0; t < MLP_SUM_THREADS; t++) mlp_sum_part(loss.data(), has_correct ? correct.data() : nullptr, n, t, &sh[t], &hits[t]);
    for (int w = MLP_SUM_THREADS / 2; w > 0; w >>= 1) {  // the kernel's barrier-separated steps
        for (int t = 0; t < MLP_SUM_THREADS; t++) {
            mlp_tree_step(sh, w, t);
            mlp_tree_step(hits, w, t);
        }
    }
    put1<double>(sh[0]);
    put1<int64_t>(has_correct ? hits[0] : 0);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: mlp_host IN OUT\n");
        return 2;
    }
    in = std::fopen(argv[1], "rb");
    if (!in) die("cannot open input");
    out = std::fopen(argv[2], "wb");
    if (!out) die("cannot open output");
    char magic[4];
    if (std::fread(magic, 1, 4, in) != 4 || std::memcmp(magic, "MLH1", 4) != 0) die("bad magic");
    const int32_t records = get<int32_t>();
    if (records < 0) die("bad record count");
    std::fwrite("MLH1", 1, 4, out);
    put1(records);
    for (int32_t r = 0; r < records; r++) {
        switch (get<int32_t>()) {
            case 1: softmax_xent(); break;
            case 2: bias_grad(); break;
            case 3: bias_act(); break;
            case 4: relu_mask(); break;
            case 5: pixel(); break;
            case 6: sum_rows(); break;
            default: die("unknown op");
        }
    }
    if (std::fclose(out) != 0) die("cannot write output");
    std::fclose(in);
    return 0;
}
