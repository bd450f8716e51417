// Move-only owners of GPU memory (DeviceBuffer) and of pinned, page-locked
// host memory (PinnedHostBuffer, for asynchronous copies). Sizes are in bytes;
// the typed view as<T>() is for the caller's convenience. Device memory is
// allocated on the device current at the time of the allocation.
#pragma once

#include <cstdint>
#include <utility>

namespace lpm {

struct DeviceAllocator {
    static void* allocate(int64_t bytes);     // cudaMalloc, checked
    static void release(void* data) noexcept; // cudaFree
};

struct PinnedHostAllocator {
    static void* allocate(int64_t bytes);     // cudaMallocHost, checked
    static void release(void* data) noexcept; // cudaFreeHost
};

template <typename Allocator>
class CudaMemory {
public:
    CudaMemory() = default;
    explicit CudaMemory(int64_t bytes) { reserve(bytes); }
    ~CudaMemory() { release(); }
    CudaMemory(CudaMemory&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0))
    {
    }
    CudaMemory& operator=(CudaMemory&& other) noexcept
    {
        if (this != &other) {
            release();
            data_ = std::exchange(other.data_, nullptr);
            bytes_ = std::exchange(other.bytes_, 0);
        }
        return *this;
    }
    CudaMemory(const CudaMemory&) = delete;
    CudaMemory& operator=(const CudaMemory&) = delete;

    void* data() const { return data_; }
    template <typename T>
    T* as() const
    {
        return static_cast<T*>(data_);
    }
    int64_t bytes() const { return bytes_; }

    // Grows (never shrinks) to at least `bytes`; on growth the old contents are lost.
    void reserve(int64_t bytes)
    {
        if (bytes <= bytes_)
            return;
        release();
        data_ = Allocator::allocate(bytes);
        bytes_ = bytes;
    }

private:
    void release() noexcept
    {
        if (data_ != nullptr)
            Allocator::release(data_);
        data_ = nullptr;
        bytes_ = 0;
    }

    void* data_ = nullptr;
    int64_t bytes_ = 0;
};

using DeviceBuffer = CudaMemory<DeviceAllocator>;
using PinnedHostBuffer = CudaMemory<PinnedHostAllocator>;

} // namespace lpm
