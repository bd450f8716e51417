// CudaBackend's transformer operations: not available yet. The CPU backend
// implements them (cpu_transformer.cpp); here each call says so plainly
// instead of computing something unchecked, and supports() reports them false.
#include <string>

#include "backend/cuda/cuda_backend.h"
#include "tensor/error.h"

namespace lpm {

namespace {
[[noreturn]] void notAvailable(const char* operation)
{
    throw Error(std::string("CUDA backend: ") + operation
                + " is not available on the GPU yet; train transformer models on CPU devices");
}
} // namespace

void CudaBackend::layerNormForward(const LayerNormGeometry&, const float*, const float*, const float*, float*, float*,
                                   float*)
{
    notAvailable("layer normalisation");
}

void CudaBackend::layerNormBackward(const LayerNormGeometry&, const float*, const float*, const float*, const float*,
                                    const float*, float*, float*, float*)
{
    notAvailable("layer normalisation");
}

void CudaBackend::geluForward(int64_t, const float*, float*)
{
    notAvailable("GELU");
}

void CudaBackend::geluBackward(int64_t, const float*, const float*, float*)
{
    notAvailable("GELU");
}

void CudaBackend::embeddingForward(int64_t, int64_t, int64_t, const float*, const float*, float*)
{
    notAvailable("the embedding lookup");
}

void CudaBackend::embeddingBackward(int64_t, int64_t, int64_t, const float*, const float*, float*)
{
    notAvailable("the embedding lookup");
}

void CudaBackend::causalAttentionForward(const AttentionGeometry&, const float*, float*, float*)
{
    notAvailable("causal attention");
}

void CudaBackend::causalAttentionBackward(const AttentionGeometry&, const float*, const float*, const float*,
                                          const float*, float*)
{
    notAvailable("causal attention");
}

} // namespace lpm
