// emu_kernels.cpp — the project's kernels compiled for the host, for cuda-emu.
//
// The .cu files are included unchanged (emu_shim.h, force-included by the Makefile, supplies the CUDA
// built-ins), so what runs here is the kernels' own code: their indexing, float4 paths, ragged ends,
// grid-stride loops and block reductions, with rules.cuh's and mlp.cuh's per-element math. Every kernel
// a launcher names (dev.lookahead4j.cuda.KernelNames, dev.lookahead4j.train.MlpKernelNames) is
// registered below; the driver refuses a kernel that is in the PTX but not here.
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../../cuda-kernels/mlp.cu"
#include "../../cuda-kernels/reduce.cu"
#include "../../cuda-kernels/step.cu"
#include "emu.h"

namespace {

template <typename... A, std::size_t... I>
std::function<void()> bind_args(void (*fn)(A...), const unsigned char* packed, const std::size_t* offsets,
                                std::index_sequence<I...>) {
    std::tuple<std::decay_t<A>...> args;
    (std::memcpy(static_cast<void*>(&std::get<I>(args)), packed + offsets[I], sizeof(std::get<I>(args))), ...);
    return [fn, args]() { std::apply(fn, args); };
}

template <auto FN>
struct Binder;

template <typename... A, void (*FN)(A...)>
struct Binder<FN> {
    static std::function<void()> bind(const unsigned char* packed, const std::size_t* offsets) {
        return bind_args(FN, packed, offsets, std::index_sequence_for<A...>{});
    }
    static emu::Kernel make(const char* name) {
        static_assert(sizeof...(A) <= emu::kMaxParams, "too many kernel parameters");
        emu::Kernel k{name, (int) sizeof...(A), {sizeof(std::decay_t<A>)...}, &bind};
        return k;
    }
};

#define EMU_KERNEL(NAME) Binder<&NAME>::make(#NAME)

const emu::Kernel registry[] = {
    EMU_KERNEL(la_step_sgd),
    EMU_KERNEL(la_step_adam),
    EMU_KERNEL(la_step_rmsprop),
    EMU_KERNEL(la_step_adagrad),
    EMU_KERNEL(la_step_radam),
    EMU_KERNEL(la_step_nadam),
    EMU_KERNEL(la_sync),
    EMU_KERNEL(la_sumsq_partial),
    EMU_KERNEL(la_distsq_partial),
    EMU_KERNEL(la_nonfinite_partial),
    EMU_KERNEL(la_reduce_final),
    EMU_KERNEL(mlp_gather),
    EMU_KERNEL(mlp_bias_act),
    EMU_KERNEL(mlp_softmax_xent),
    EMU_KERNEL(mlp_bias_grad),
    EMU_KERNEL(mlp_relu_mask),
    EMU_KERNEL(mlp_sum_rows),
    emu::Kernel{nullptr, 0, {}, nullptr},
};

}  // namespace

const emu::Kernel* const emu::kernels = registry;
