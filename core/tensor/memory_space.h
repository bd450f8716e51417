// Where bytes live: the host's memory, or a memory resource such as a GPU's
// (owned by the backend that computes in it). MemorySpace is a small value:
// copy it, compare it, and ask it for bytes and copies; MemoryBlock and Tensor
// keep theirs in one.
#pragma once

#include <cstdint>
#include <string>

namespace lpm {

// The bytes of a memory that is not the host's plain memory, and the copies
// in, out of and within it. Backends implement it (backend/backend.h); a block
// allocated from one must not outlive it.
class MemoryResource {
public:
    virtual ~MemoryResource() = default;

    virtual std::string name() const = 0;
    virtual void* allocateBytes(int64_t bytes) = 0;
    // `bytes` is what was allocated (a caching allocator files the block by it).
    virtual void releaseBytes(void* data, int64_t bytes) noexcept = 0;
    // Between host memory and this memory. The host side may be reused as soon
    // as they return. copyToHost has finished then; copyFromHost may still be
    // queued (a GPU's stream): it is ordered before this resource's later work,
    // and others read the destination only after synchronize().
    virtual void copyFromHost(void* destination, const void* hostSource, int64_t bytes) = 0;
    virtual void copyToHost(void* hostDestination, const void* source, int64_t bytes) = 0;
    // Within this memory, ordered with its other work. The source may also be
    // in a resource this one canCopyDirectly() from.
    virtual void copyWithin(void* destination, const void* source, int64_t bytes) = 0;
    virtual void zeroBytes(void* data, int64_t bytes) = 0;
    // Returns when the work queued so far has finished.
    virtual void synchronize() = 0;
    // True when copyWithin() can copy from `source`'s memory without going
    // through the host.
    virtual bool canCopyDirectly(const MemoryResource& source) const = 0;
};

class MemorySpace {
public:
    // The host's memory (64-byte aligned blocks, memcpy).
    MemorySpace() = default;
    static MemorySpace host() { return MemorySpace(); }
    static MemorySpace of(MemoryResource& resource) { return MemorySpace(&resource); }

    bool isHost() const { return resource_ == nullptr; }
    // The resource of a space that is not the host's; throws on the host's.
    MemoryResource& resource() const;
    std::string name() const; // "the host", or the resource's name

    void* allocate(int64_t bytes) const;
    void release(void* data, int64_t bytes) const noexcept;
    void copyFromHost(void* destination, const void* hostSource, int64_t bytes) const;
    void copyToHost(void* hostDestination, const void* source, int64_t bytes) const;
    void copyWithin(void* destination, const void* source, int64_t bytes) const;
    void zero(void* data, int64_t bytes) const;
    // Waits for the work queued on this space (nothing to wait for on the host).
    void synchronize() const;

    // (Spelled out: the CUDA sources compile this header as C++17.)
    bool operator==(const MemorySpace& other) const { return resource_ == other.resource_; }
    bool operator!=(const MemorySpace& other) const { return !(*this == other); }

private:
    explicit MemorySpace(MemoryResource* resource) : resource_(resource) {}
    MemoryResource* resource_ = nullptr; // nullptr: the host
};

} // namespace lpm
