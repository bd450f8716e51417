#include "backend/cuda/device_buffer.h"

#include "backend/cuda/cuda_check.h"

namespace lpm {

void* DeviceAllocator::allocate(int64_t bytes)
{
    void* data = nullptr;
    LPM_CUDA_CHECK(cudaMalloc(&data, static_cast<size_t>(bytes)));
    return data;
}

void DeviceAllocator::release(void* data) noexcept
{
    cudaFree(data); // a destructor cannot report a failure; the next checked call will
}

void* PinnedHostAllocator::allocate(int64_t bytes)
{
    void* data = nullptr;
    LPM_CUDA_CHECK(cudaMallocHost(&data, static_cast<size_t>(bytes)));
    return data;
}

void PinnedHostAllocator::release(void* data) noexcept
{
    cudaFreeHost(data);
}

} // namespace lpm
