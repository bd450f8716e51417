// A float32 tensor in host memory: a Shape and a 64-byte aligned buffer of
// shape.elementCount() floats, row-major (the last extent is contiguous).
// Move-only; copies are explicit (clone) so no buffer is duplicated by accident.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "tensor/shape.h"

namespace lpm {

class Tensor {
public:
    Tensor() = default;
    // Allocates a tensor of the given shape, every element zero.
    explicit Tensor(const Shape& shape);

    Tensor(Tensor&&) noexcept = default;
    Tensor& operator=(Tensor&&) noexcept = default;
    Tensor(const Tensor&) = delete;
    Tensor& operator=(const Tensor&) = delete;

    // A tensor of the given shape without zeroing its elements.
    static Tensor uninitialized(const Shape& shape);
    Tensor clone() const;

    const Shape& shape() const { return shape_; }
    int64_t elementCount() const { return shape_.elementCount(); }
    bool empty() const { return data_ == nullptr; }

    float* data() { return data_.get(); }
    const float* data() const { return data_.get(); }
    std::span<float> values() { return {data_.get(), static_cast<size_t>(elementCount())}; }
    std::span<const float> values() const
    {
        return {data_.get(), static_cast<size_t>(elementCount())};
    }
    float& operator[](int64_t index) { return data_[index]; }
    float operator[](int64_t index) const { return data_[index]; }

    // Reinterprets the buffer with another shape of the same element count.
    void reshape(const Shape& shape);
    void fill(float value);

private:
    struct AlignedFree {
        void operator()(float* pointer) const;
    };
    Shape shape_;
    std::unique_ptr<float[], AlignedFree> data_;
};

// Allocates `count` floats aligned to 64 bytes; the buffer is released with freeAligned.
float* allocateAligned(int64_t count);
void freeAligned(float* pointer);

} // namespace lpm
