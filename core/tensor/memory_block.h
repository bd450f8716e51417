// MemoryBlock: move-only bytes in one memory space, the host's (memory ==
// nullptr: 64-byte aligned) or a backend's (e.g. a GPU's, through
// Backend::allocateBytes). Tensors keep their elements in one, and layers keep
// what backward needs (argmax indices, batch statistics) in one beside their
// tensors, so a layer's state lives wherever its input lives.
//
// A block in a backend's memory must not outlive that backend.
#pragma once

#include <cstdint>

namespace lpm {

class Backend;

class MemoryBlock {
public:
    MemoryBlock() = default;
    // `bytes` uninitialised bytes in `memory`'s space (nullptr: the host).
    MemoryBlock(Backend* memory, int64_t bytes);
    ~MemoryBlock();
    MemoryBlock(MemoryBlock&& other) noexcept;
    MemoryBlock& operator=(MemoryBlock&& other) noexcept;
    MemoryBlock(const MemoryBlock&) = delete;
    MemoryBlock& operator=(const MemoryBlock&) = delete;

    void* data() const { return data_; }
    template <typename T> T* as() const { return static_cast<T*>(data_); }
    int64_t bytes() const { return bytes_; }
    Backend* memory() const { return memory_; }
    bool onHost() const { return memory_ == nullptr; }

    // Copies from host memory into this block (bytes ≤ this->bytes()), and back.
    void copyFromHost(const void* source, int64_t bytes);
    void copyToHost(void* destination, int64_t bytes) const;
    // Copies `bytes` from `source` in the same memory space into this block.
    void copyWithin(const void* source, int64_t bytes, int64_t destinationOffset = 0);
    void zero();

    // Copies between two places in `memory`'s space (nullptr: the host), and
    // between the host and a place in it; the host-side copies have finished
    // when they return.
    static void copyInSpace(Backend* memory, void* destination, const void* source, int64_t bytes);
    static void copyFromHostInSpace(Backend* memory, void* destination, const void* hostSource, int64_t bytes);
    static void copyToHostInSpace(Backend* memory, void* hostDestination, const void* source, int64_t bytes);

private:
    void release() noexcept;
    Backend* memory_ = nullptr;
    void* data_ = nullptr;
    int64_t bytes_ = 0;
};

} // namespace lpm
