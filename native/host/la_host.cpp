// la_host — runs the kernel math of cuda-kernels/rules.cuh on the CPU, so that CI (which has no GPU)
// can compare it bit for bit with the Java backend (src/test/java/dev/lookahead4j/kernels).
//
// Built by native/Makefile with g++ -ffp-contract=off (no FMA contraction; fmaf only where written).
//
//   la_host IN OUT
//
// IN and OUT are little-endian binary files (the test writes IN and reads OUT):
//   IN:  "LAH1", int32 records, then per record:
//          int32 op          0..5 = a step of rule op (RuleKind id), 16 = the forced sync alone
//          int32 flags       RuleKind.F_* bits
//          float s[12]       the rule's scalars
//          int32 sync, float alpha, float one_minus_alpha, int32 pullback
//          int32 has_m       forced sync only: 1 when s0 is the first moment, 0 when there is none
//          int32 n           elements
//          float p[n], g[n], s0[n], s1[n], s2[n], slow[n], cache[n]
//   OUT: "LAH1", int32 records, then per record the 7 arrays after the operation, in the same order.
// The step runs la_step_element (the kernels' scalar path) for i = 0 .. n-1.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../../cuda-kernels/rules.cuh"

namespace {

constexpr int32_t OP_SYNC_ONLY = 16;

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "la_host: %s\n", what);
    std::exit(2);
}

template <typename T>
T get(std::FILE* f) {
    T v;
    if (std::fread(&v, sizeof v, 1, f) != 1) die("truncated input");
    return v;
}

template <int RULE>
void run_rule(std::vector<float>* a, int32_t n, const LaStepArgs& args) {
    for (long long i = 0; i < n; i++) {
        la_step_element<RULE>(i, a[0].data(), a[1].data(), a[2].data(), a[3].data(), a[4].data(),
                              a[5].data(), a[6].data(), args);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: la_host IN OUT\n");
        return 2;
    }
    std::FILE* in = std::fopen(argv[1], "rb");
    if (!in) die("cannot open input");
    std::FILE* out = std::fopen(argv[2], "wb");
    if (!out) die("cannot open output");
    char magic[4];
    if (std::fread(magic, 1, 4, in) != 4 || std::memcmp(magic, "LAH1", 4) != 0) die("bad magic");
    const int32_t records = get<int32_t>(in);
    if (records < 0) die("bad record count");
    std::fwrite("LAH1", 1, 4, out);
    std::fwrite(&records, sizeof records, 1, out);
    for (int32_t r = 0; r < records; r++) {
        const int32_t op = get<int32_t>(in);
        LaStepArgs args;
        args.flags = get<int32_t>(in);
        for (int k = 0; k < LA_MAX_SCALARS; k++) args.s[k] = get<float>(in);
        args.sync = get<int32_t>(in);
        args.alpha = get<float>(in);
        args.one_minus_alpha = get<float>(in);
        args.pullback = get<int32_t>(in);
        const int32_t hasM = get<int32_t>(in);
        const int32_t n = get<int32_t>(in);
        if (n < 0) die("bad element count");
        std::vector<float> a[7];
        for (auto& v : a) {
            v.resize(n);
            if (n > 0 && std::fread(v.data(), sizeof(float), n, in) != (size_t) n) die("truncated arrays");
        }
        switch (op) {
            case LA_RULE_SGD: run_rule<LA_RULE_SGD>(a, n, args); break;
            case LA_RULE_ADAM: run_rule<LA_RULE_ADAM>(a, n, args); break;
            case LA_RULE_RMSPROP: run_rule<LA_RULE_RMSPROP>(a, n, args); break;
            case LA_RULE_ADAGRAD: run_rule<LA_RULE_ADAGRAD>(a, n, args); break;
            case LA_RULE_RADAM: run_rule<LA_RULE_RADAM>(a, n, args); break;
            case LA_RULE_NADAM: run_rule<LA_RULE_NADAM>(a, n, args); break;
            case OP_SYNC_ONLY:
                for (long long i = 0; i < n; i++) {
                    la_sync_element(i, a[0].data(), hasM ? a[2].data() : nullptr, a[5].data(), a[6].data(),
                                    args.alpha, args.one_minus_alpha, args.pullback);
                }
                break;
            default: die("unknown op");
        }
        for (auto& v : a) {
            if (n > 0 && std::fwrite(v.data(), sizeof(float), n, out) != (size_t) n) die("cannot write output");
        }
    }
    if (std::fclose(out) != 0) die("cannot write output");
    std::fclose(in);
    return 0;
}
