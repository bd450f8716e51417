// MemoryBlock: move-only bytes in one memory space, the host's (64-byte
// aligned) or a resource's such as a GPU's (tensor/memory_space.h). Tensors
// keep their elements in one, and layers keep what backward needs (argmax
// indices, batch statistics) in one beside their tensors, so a layer's state
// lives wherever its input lives.
//
// A block in a resource's memory must not outlive that resource.
#pragma once

#include <cstdint>

#include "tensor/memory_space.h"

namespace lpm {

class MemoryBlock {
public:
    MemoryBlock() = default;
    // `bytes` uninitialised bytes in `space`.
    MemoryBlock(MemorySpace space, int64_t bytes);
    ~MemoryBlock();
    MemoryBlock(MemoryBlock&& other) noexcept;
    MemoryBlock& operator=(MemoryBlock&& other) noexcept;
    MemoryBlock(const MemoryBlock&) = delete;
    MemoryBlock& operator=(const MemoryBlock&) = delete;

    void* data() const { return data_; }
    template <typename T>
    T* as() const
    {
        return static_cast<T*>(data_);
    }
    int64_t bytes() const { return bytes_; }
    MemorySpace space() const { return space_; }
    bool onHost() const { return space_.isHost(); }

    // Copies from host memory into this block (bytes ≤ this->bytes()), and back.
    void copyFromHost(const void* source, int64_t bytes) { space_.copyFromHost(data_, source, bytes); }
    void copyToHost(void* destination, int64_t bytes) const { space_.copyToHost(destination, data_, bytes); }
    // Copies `bytes` from `source` in the same memory space into this block.
    void copyWithin(const void* source, int64_t bytes, int64_t destinationOffset = 0)
    {
        space_.copyWithin(static_cast<char*>(data_) + destinationOffset, source, bytes);
    }
    void zero() { space_.zero(data_, bytes_); }

private:
    void release() noexcept;
    MemorySpace space_;
    void* data_ = nullptr;
    int64_t bytes_ = 0;
};

} // namespace lpm
