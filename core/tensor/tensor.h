// A float32 tensor: a Shape and shape.elementCount() floats, row-major (the
// last extent is contiguous), in one memory space: the host's (64-byte
// aligned) or a backend's, such as a GPU's (tensor/memory_block.h).
// Move-only; copies are explicit (clone) so no buffer is duplicated by accident.
//
// data() is a pointer in the tensor's memory space, for the backend's calls.
// The element accessors (values, operator[], fill) are for host tensors only;
// values() and fill() throw InvalidArgument on any other.
#pragma once

#include <cstdint>
#include <span>

#include "tensor/memory_block.h"
#include "tensor/shape.h"

namespace lpm {

class Tensor {
public:
    Tensor() = default;
    // Allocates a host tensor of the given shape, every element zero.
    explicit Tensor(const Shape& shape);

    Tensor(Tensor&&) noexcept = default;
    Tensor& operator=(Tensor&&) noexcept = default;
    Tensor(const Tensor&) = delete;
    Tensor& operator=(const Tensor&) = delete;

    // A host tensor of the given shape without zeroing its elements.
    static Tensor uninitialized(const Shape& shape);
    // Without zeroing, in `space`.
    static Tensor uninitializedIn(MemorySpace space, const Shape& shape);
    // Without zeroing, in the same memory space as `like` (layers make their
    // outputs and gradients this way, so they run wherever their input is).
    static Tensor uninitializedLike(const Tensor& like, const Shape& shape);
    // A copy in the same memory space.
    Tensor clone() const;
    // A copy in `space`. Copies to the host have finished when it returns;
    // one from another resource's memory that `space` can copy from directly
    // is ordered on `space`'s work (synchronize it before the source may go).
    Tensor copyTo(MemorySpace space) const;

    const Shape& shape() const { return shape_; }
    int64_t elementCount() const { return shape_.elementCount(); }
    bool empty() const { return block_.data() == nullptr; }
    MemorySpace space() const { return block_.space(); }
    bool onHost() const { return block_.onHost(); }

    float* data() { return block_.as<float>(); }
    const float* data() const { return block_.as<float>(); }
    std::span<float> values();
    std::span<const float> values() const;
    float& operator[](int64_t index) { return data()[index]; }
    float operator[](int64_t index) const { return data()[index]; }

    // Reinterprets the buffer with another shape of the same element count.
    void reshape(const Shape& shape);
    void fill(float value);

private:
    void requireHost(const char* what) const;
    Shape shape_;
    MemoryBlock block_;
};

// Allocates `count` floats aligned to 64 bytes; the buffer is released with freeAligned.
float* allocateAligned(int64_t count);
void freeAligned(float* pointer);

} // namespace lpm
