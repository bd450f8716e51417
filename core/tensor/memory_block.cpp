#include "tensor/memory_block.h"

#include <utility>

namespace lpm {

MemoryBlock::MemoryBlock(MemorySpace space, int64_t bytes) : space_(space), data_(space.allocate(bytes)), bytes_(bytes)
{
}

MemoryBlock::~MemoryBlock()
{
    release();
}

MemoryBlock::MemoryBlock(MemoryBlock&& other) noexcept
    : space_(std::exchange(other.space_, MemorySpace::host())), data_(std::exchange(other.data_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0))
{
}

MemoryBlock& MemoryBlock::operator=(MemoryBlock&& other) noexcept
{
    if (this != &other) {
        release();
        space_ = std::exchange(other.space_, MemorySpace::host());
        data_ = std::exchange(other.data_, nullptr);
        bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
}

void MemoryBlock::release() noexcept
{
    if (data_ == nullptr)
        return;
    space_.release(data_, bytes_);
    data_ = nullptr;
    bytes_ = 0;
}

} // namespace lpm
