#include "tensor/tensor.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "tensor/error.h"

namespace lpm {

namespace {
constexpr size_t kAlignment = 64;
}

float* allocateAligned(int64_t count)
{
    size_t bytes = static_cast<size_t>(std::max<int64_t>(count, 1)) * sizeof(float);
    bytes = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    void* pointer = std::aligned_alloc(kAlignment, bytes);
    if (pointer == nullptr)
        throw std::bad_alloc();
    return static_cast<float*>(pointer);
}

void freeAligned(float* pointer)
{
    std::free(pointer);
}

void Tensor::AlignedFree::operator()(float* pointer) const
{
    freeAligned(pointer);
}

Tensor::Tensor(const Shape& shape) : Tensor(uninitialized(shape))
{
    fill(0.0f);
}

Tensor Tensor::uninitialized(const Shape& shape)
{
    Tensor tensor;
    tensor.shape_ = shape;
    tensor.data_.reset(allocateAligned(shape.elementCount()));
    return tensor;
}

Tensor Tensor::clone() const
{
    Tensor copy = uninitialized(shape_);
    if (!empty())
        std::memcpy(copy.data(), data(), sizeof(float) * static_cast<size_t>(elementCount()));
    return copy;
}

void Tensor::reshape(const Shape& shape)
{
    if (shape.elementCount() != shape_.elementCount())
        throw InvalidArgument("Tensor::reshape: cannot view " + shape_.toString() + " as "
                              + shape.toString());
    shape_ = shape;
}

void Tensor::fill(float value)
{
    std::fill_n(data(), elementCount(), value);
}

} // namespace lpm
