// Checked vendor calls: every CUDA runtime, cuBLAS, cuDNN and NCCL call in the
// CUDA backend goes through one of these macros, which throw CudaError naming
// the call, the library's own error name and text, and the file and line.
//
//   LPM_CUDA_CHECK(cudaMalloc(&pointer, bytes));
//   LPM_CUBLAS_CHECK(cublasSgemm(...));
//   LPM_CUDNN_CHECK(cudnnConvolutionForward(...));
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <cstdint>

#include "tensor/error.h"

namespace lpm {

// A CUDA, cuBLAS, cuDNN or NCCL call failed.
class CudaError : public Error {
public:
    using Error::Error;
};

[[noreturn]] void throwCudaError(const char* call, const char* library, const char* errorName, const char* errorText,
                                 const char* file, int line);

inline void checkCuda(cudaError_t status, const char* call, const char* file, int line)
{
    if (status != cudaSuccess) {
        cudaGetLastError(); // clear a non-sticky error so the next call starts clean
        throwCudaError(call, "CUDA", cudaGetErrorName(status), cudaGetErrorString(status), file, line);
    }
}

inline void checkCublas(cublasStatus_t status, const char* call, const char* file, int line)
{
    if (status != CUBLAS_STATUS_SUCCESS)
        throwCudaError(call, "cuBLAS", cublasGetStatusName(status), cublasGetStatusString(status), file, line);
}

inline void checkCudnn(cudnnStatus_t status, const char* call, const char* file, int line)
{
    if (status != CUDNN_STATUS_SUCCESS)
        throwCudaError(call, "cuDNN", "cudnnStatus_t", cudnnGetErrorString(status), file, line);
}

// `value` as a cuBLAS size (int); throws InvalidArgument naming `what` when
// it does not fit.
int cublasInt(int64_t value, const char* what);

} // namespace lpm

#define LPM_CUDA_CHECK(call) ::lpm::checkCuda((call), #call, __FILE__, __LINE__)
#define LPM_CUBLAS_CHECK(call) ::lpm::checkCublas((call), #call, __FILE__, __LINE__)
#define LPM_CUDNN_CHECK(call) ::lpm::checkCudnn((call), #call, __FILE__, __LINE__)
