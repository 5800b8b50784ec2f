// step.cu — the fused optimizer step kernels: one kernel per inner rule, applied to up to
// LA_MAX_GROUPS parameter groups of the flat arena at once (each group its element range [start, end)
// and its own scalars), with the Lookahead sync (and the pullback policy) folded into the same pass
// when a group's args.sync is set; and the standalone forced-sync kernel.
//
// Launch (dev.lookahead4j.cuda.CudaStep): one launch per step for all groups (one per LA_MAX_GROUPS
// groups beyond that). The grid, sized from the multiprocessor count, is split between the groups in
// proportion to their sizes: group k owns blocks [first_block, first_block + blocks) and runs a
// grid-stride loop over its range with those blocks alone. The per-element math is rules.cuh, shared
// with the host build that CI compares bit for bit against the Java backend.
//
// Loads are float4 wherever the range allows: ParamArena aligns every group to 32 elements and
// cuMemAlloc to 256 bytes, so an index that is a multiple of 4 is a 16-byte-aligned address. A range
// that does not start or end on a multiple of 4 has its few ragged elements done one at a time.
#include <cstddef>

#include "rules.cuh"

#define LA_STEP_THREADS 256

// The groups of one step launch, passed by value (3080 bytes: kernel parameters may take 4096). Java
// writes it in dev.lookahead4j.cuda.CudaStep (offsets there: keep the two in the same layout).
#define LA_MAX_GROUPS 32
struct LaGroup {
    long long start, end;  // the element range
    int first_block;       // the group's first block in the grid
    int blocks;            // and its number of blocks (>= 1)
    LaStepArgs a;          // its scalars and flags, and the step's sync arguments
};                         // 96 bytes (92 + padding to 8)
struct LaGroups {
    int count;             // groups in use, 1 .. LA_MAX_GROUPS
    LaGroup group[LA_MAX_GROUPS];
};
static_assert(sizeof(LaStepArgs) == 68, "LaStepArgs is 17 words (CudaStep.ARGS_BYTES)");
static_assert(sizeof(LaGroup) == 96 && offsetof(LaGroup, a) == 24, "LaGroup layout (CudaStep.GROUP_BYTES)");
static_assert(sizeof(LaGroups) == 3080 && offsetof(LaGroups, group) == 8, "LaGroups layout (CudaStep.GROUPS_BYTES)");

namespace {

__device__ __forceinline__ float la_lane(const float4& v, int k) {
    return k == 0 ? v.x : k == 1 ? v.y : k == 2 ? v.z : v.w;
}

__device__ __forceinline__ void la_set_lane(float4& v, int k, float x) {
    if (k == 0) v.x = x; else if (k == 1) v.y = x; else if (k == 2) v.z = x; else v.w = x;
}

// One group's range [start, end) with `blocks` blocks, of which this is block `block`.
template <int RULE>
__device__ __forceinline__ void la_step_range(float* __restrict__ p, const float* __restrict__ g,
                                              float* __restrict__ s0, float* __restrict__ s1,
                                              float* __restrict__ s2, float* __restrict__ slow,
                                              float* __restrict__ cache, long long start, long long end,
                                              const LaStepArgs& a, long long block, long long blocks) {
    const long long tid = block * blockDim.x + threadIdx.x;
    const long long stride = blocks * blockDim.x;
    // [vs, ve): the part of the range made of whole, aligned float4s
    long long vs = (start + 3) & ~3LL, ve = end & ~3LL;
    if (ve < vs) vs = ve = start;  // a range inside one float4: all ragged
    const long long head = vs - start, tail = end - ve;

    // ragged ends, one element per thread
    if (tid < head + tail) {
        const long long i = tid < head ? start + tid : ve + (tid - head);
        la_step_element<RULE>(i, p, g, s0, s1, s2, slow, cache, a);
    }

    const bool u0 = la_uses_s0(RULE, a.flags), u1 = la_uses_s1(RULE, a.flags), u2 = la_uses_s2(RULE, a.flags);
    const bool us = a.sync != 0, uc = la_uses_cache(RULE, a);
    float4* __restrict__ p4 = reinterpret_cast<float4*>(p);
    const float4* __restrict__ g4 = reinterpret_cast<const float4*>(g);
    float4* __restrict__ s04 = reinterpret_cast<float4*>(s0);
    float4* __restrict__ s14 = reinterpret_cast<float4*>(s1);
    float4* __restrict__ s24 = reinterpret_cast<float4*>(s2);
    float4* __restrict__ slow4 = reinterpret_cast<float4*>(slow);
    float4* __restrict__ cache4 = reinterpret_cast<float4*>(cache);
    const float4 zero = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    for (long long j = (vs >> 2) + tid; j < (ve >> 2); j += stride) {
        float4 vp = p4[j], vg = __ldg(&g4[j]);
        float4 v0 = u0 ? s04[j] : zero, v1 = u1 ? s14[j] : zero, v2 = u2 ? s24[j] : zero;
        float4 vsl = us ? slow4[j] : zero, vc = uc ? cache4[j] : zero;
#pragma unroll
        for (int k = 0; k < 4; k++) {
            LaElem e = {la_lane(vp, k), la_lane(vg, k), la_lane(v0, k), la_lane(v1, k), la_lane(v2, k),
                        la_lane(vsl, k), la_lane(vc, k)};
            la_apply<RULE>(e, a);
            la_set_lane(vp, k, e.p);
            la_set_lane(v0, k, e.s0);
            la_set_lane(v1, k, e.s1);
            la_set_lane(v2, k, e.s2);
            la_set_lane(vsl, k, e.slow);
            la_set_lane(vc, k, e.cache);
        }
        p4[j] = vp;
        if (u0) s04[j] = v0;
        if (u1) s14[j] = v1;
        if (u2) s24[j] = v2;
        if (us) slow4[j] = vsl;
        if (uc) cache4[j] = vc;
    }
}

// The groups of one launch. The block's group is the last whose first_block is <= blockIdx.x (the
// host lays the groups out in block order, every one with at least one block).
template <int RULE>
__device__ __forceinline__ void la_step_groups(float* p, const float* g, float* s0, float* s1, float* s2,
                                               float* slow, float* cache, const LaGroups& m) {
    int k = 0;
    for (int j = 1; j < m.count; j++) {
        if (m.group[j].first_block <= (int) blockIdx.x) k = j;
    }
    const LaGroup& G = m.group[k];
    la_step_range<RULE>(p, g, s0, s1, s2, slow, cache, G.start, G.end, G.a, (long long) blockIdx.x - G.first_block, G.blocks);
}

}  // namespace

// One kernel per rule; every one has the same parameter list (CudaStep builds it once per launch):
//   p, g, s0, s1, s2, slow, cache   device pointers to the whole arena buffers (0 where unused)
//   m                               the groups: ranges, blocks, scalars and flags, the step's sync arguments
// m is read where it lies (__grid_constant__), so indexing it by group needs no local copy.
#define LA_STEP_KERNEL(NAME, RULE)                                                                        \
    extern "C" __global__ void __launch_bounds__(LA_STEP_THREADS)                                         \
    NAME(float* p, const float* g, float* s0, float* s1, float* s2, float* slow, float* cache,           \
         const __grid_constant__ LaGroups m) {                                                             \
        la_step_groups<RULE>(p, g, s0, s1, s2, slow, cache, m);                                          \
    }

LA_STEP_KERNEL(la_step_sgd, LA_RULE_SGD)
LA_STEP_KERNEL(la_step_adam, LA_RULE_ADAM)
LA_STEP_KERNEL(la_step_rmsprop, LA_RULE_RMSPROP)
LA_STEP_KERNEL(la_step_adagrad, LA_RULE_ADAGRAD)
LA_STEP_KERNEL(la_step_radam, LA_RULE_RADAM)
LA_STEP_KERNEL(la_step_nadam, LA_RULE_NADAM)

// The forced sync (Optimizer.sync()) over [start, end): phi += alpha*(theta - phi); theta = phi; and the
// pullback policy on m (the first moment; 0 when the rule has none).
extern "C" __global__ void __launch_bounds__(LA_STEP_THREADS)
la_sync(float* p, float* m, float* slow, float* cache, long long start, long long end,
        float alpha, float one_minus_alpha, int pullback) {
    const long long stride = (long long) gridDim.x * blockDim.x;
    for (long long i = start + (long long) blockIdx.x * blockDim.x + threadIdx.x; i < end; i += stride) {
        la_sync_element(i, p, m, slow, cache, alpha, one_minus_alpha, pullback);
    }
}
