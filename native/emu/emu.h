// emu.h — what the two halves of cuda-emu share: the kernel registry (emu_kernels.cpp, which compiles
// cuda-kernels/*.cu for the host) and the driver (cuda_emu.cpp, the libcuda.so.1 the tests load).
#ifndef LOOKAHEAD4J_EMU_H
#define LOOKAHEAD4J_EMU_H

#include <cstddef>
#include <functional>

namespace emu {

struct Dim3 {
    unsigned x, y, z;
};

// The CUDA built-in variables of the thread that runs now; the driver sets them before it enters a
// thread of a kernel (the kernels read them through emu_shim.h).
extern Dim3 g_threadIdx, g_blockIdx, g_blockDim, g_gridDim;

// __syncthreads(): the driver runs kernels that have barriers as fibers, one per CUDA thread.
void barrier();

constexpr int kMaxParams = 32;

// One kernel compiled for the host: its name (the PTX .entry), its parameters' sizes in bytes (the
// C++ signature, checked against the PTX's .param list when a module is loaded), and bind(), which
// turns the packed argument bytes of a launch into a call of the kernel with those arguments.
struct Kernel {
    const char* name;
    int params;
    std::size_t sizes[kMaxParams];
    std::function<void()> (*bind)(const unsigned char* packed, const std::size_t* offsets);
};

// The registry: every kernel emu_kernels.cpp compiled, ended by a Kernel with name nullptr.
extern const Kernel* const kernels;

}  // namespace emu

#endif
