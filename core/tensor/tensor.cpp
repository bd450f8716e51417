#include "tensor/tensor.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include "tensor/error.h"

namespace lpm {

namespace {
constexpr size_t kAlignment = 64;

// Activations and gradients of megabytes are allocated and freed on every
// step. By default glibc maps each of them with mmap and unmaps it on free, so
// every step pays page faults and zeroing of fresh pages (a fifth of
// resnet-mini's training time on one core). Serving them from the heap and
// keeping freed memory there makes them reuse the same pages: the process keeps
// its peak footprint instead of returning memory between steps.
void keepTensorsInTheHeap()
{
    static std::once_flag once;
    std::call_once(once, [] {
        mallopt(M_MMAP_THRESHOLD, 32 << 20); // glibc's largest allowed value on 64-bit
        mallopt(M_TRIM_THRESHOLD, 1 << 30);  // return heap top to the OS only past 1 GiB
    });
}
} // namespace

float* allocateAligned(int64_t count)
{
    size_t bytes = static_cast<size_t>(std::max<int64_t>(count, 1)) * sizeof(float);
    bytes = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    keepTensorsInTheHeap();
    void* pointer = std::aligned_alloc(kAlignment, bytes);
    if (pointer == nullptr)
        throw std::bad_alloc();
    return static_cast<float*>(pointer);
}

void freeAligned(float* pointer)
{
    std::free(pointer);
}

Tensor::Tensor(const Shape& shape) : Tensor(uninitialized(shape))
{
    fill(0.0f);
}

Tensor Tensor::uninitialized(const Shape& shape)
{
    return uninitializedIn(MemorySpace::host(), shape);
}

Tensor Tensor::uninitializedIn(MemorySpace space, const Shape& shape)
{
    Tensor tensor;
    tensor.shape_ = shape;
    tensor.block_ = MemoryBlock(space, std::max<int64_t>(shape.elementCount(), 1) * int64_t(sizeof(float)));
    return tensor;
}

Tensor Tensor::uninitializedLike(const Tensor& like, const Shape& shape)
{
    return uninitializedIn(like.space(), shape);
}

Tensor Tensor::clone() const
{
    if (empty())
        return Tensor();
    Tensor copy = uninitializedLike(*this, shape_);
    copy.block_.copyWithin(data(), int64_t(sizeof(float)) * elementCount());
    return copy;
}

Tensor Tensor::copyTo(MemorySpace target) const
{
    if (empty())
        return Tensor();
    if (target == space())
        return clone();
    const int64_t bytes = int64_t(sizeof(float)) * elementCount();
    Tensor copy = uninitializedIn(target, shape_);
    if (onHost()) {
        copy.block_.copyFromHost(data(), bytes);
    } else if (target.isHost()) {
        block_.copyToHost(copy.data(), bytes);
    } else if (target.resource().canCopyDirectly(space().resource())) { // e.g. two streams of one GPU, or two GPUs
        copy.block_.copyWithin(data(), bytes);
    } else { // between two resources: through the host
        Tensor staged = copyTo(MemorySpace::host());
        copy.block_.copyFromHost(staged.data(), bytes);
    }
    return copy;
}

void Tensor::requireHost(const char* what) const
{
    if (!onHost())
        throw InvalidArgument(std::string("Tensor::") + what + ": the tensor " + shape_.toString()
                              + " is not in host memory (copy it with copyTo(MemorySpace::host()) first)");
}

std::span<float> Tensor::values()
{
    requireHost("values");
    return {data(), static_cast<size_t>(elementCount())};
}

std::span<const float> Tensor::values() const
{
    requireHost("values");
    return {data(), static_cast<size_t>(elementCount())};
}

void Tensor::reshape(const Shape& shape)
{
    if (shape.elementCount() != shape_.elementCount())
        throw InvalidArgument("Tensor::reshape: cannot view " + shape_.toString() + " as " + shape.toString());
    shape_ = shape;
}

void Tensor::fill(float value)
{
    requireHost("fill");
    std::fill_n(data(), elementCount(), value);
}

} // namespace lpm
