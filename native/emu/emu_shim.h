// emu_shim.h — the CUDA language features cuda-kernels/*.cu use, for compiling them as host C++ in
// cuda-emu (force-included by native/Makefile: g++ -include emu_shim.h -x c++ ...).
//
// The built-in variables read the driver's per-thread values; __syncthreads() yields to the driver's
// fiber scheduler; __shared__ is a static (the driver runs one block at a time); float4 has the GPU's
// 16-byte alignment, and the kernels are built with -fsanitize=alignment so a misaligned float4 access
// traps here as it would fault on a GPU.
#ifndef LOOKAHEAD4J_EMU_SHIM_H
#define LOOKAHEAD4J_EMU_SHIM_H

#include "emu.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __grid_constant__
#define __shared__ static

#define threadIdx (emu::g_threadIdx)
#define blockIdx (emu::g_blockIdx)
#define blockDim (emu::g_blockDim)
#define gridDim (emu::g_gridDim)

inline void __syncthreads() { emu::barrier(); }

struct alignas(16) float4 {
    float x, y, z, w;
};

inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

template <typename T>
inline T __ldg(const T* p) { return *p; }

#endif
