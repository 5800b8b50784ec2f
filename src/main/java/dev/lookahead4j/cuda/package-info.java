/**
 * The CUDA backend: JCuda's driver API only ({@code libcuda.so.1}; no cuBLAS, no runtime API), the
 * device's primary context (shared with other CUDA code in the process), PTX kernels loaded from the
 * jar ({@code cuda-kernels/*.cu}, built by {@code native/Makefile}), one device allocation per buffer
 * kind, and steps enqueued asynchronously on a stream the user can set.
 *
 * <p>Reached through {@link dev.lookahead4j.Device#cuda(int)} (by reflection, so that the CPU path never
 * loads JCuda). Use {@link dev.lookahead4j.cuda.CudaBackend#of(dev.lookahead4j.Device)} for the
 * CUDA-specific calls (stream, context, free memory) and
 * {@link dev.lookahead4j.ParamArena#devicePointer(String)} for raw addresses of values and gradients.
 */
package dev.lookahead4j.cuda;
