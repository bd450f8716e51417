#include "tensor/memory_block.h"

#include <cstring>
#include <utility>

#include "backend/backend.h"
#include "tensor/tensor.h"

namespace lpm {

MemoryBlock::MemoryBlock(Backend* memory, int64_t bytes) : memory_(memory), bytes_(bytes)
{
    const int64_t floats = (bytes + int64_t(sizeof(float)) - 1) / int64_t(sizeof(float));
    data_ = memory_ != nullptr ? memory_->allocateBytes(bytes) : static_cast<void*>(allocateAligned(floats));
}

MemoryBlock::~MemoryBlock() { release(); }

MemoryBlock::MemoryBlock(MemoryBlock&& other) noexcept
    : memory_(std::exchange(other.memory_, nullptr)),
      data_(std::exchange(other.data_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0))
{
}

MemoryBlock& MemoryBlock::operator=(MemoryBlock&& other) noexcept
{
    if (this != &other) {
        release();
        memory_ = std::exchange(other.memory_, nullptr);
        data_ = std::exchange(other.data_, nullptr);
        bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
}

void MemoryBlock::release() noexcept
{
    if (data_ == nullptr)
        return;
    if (memory_ != nullptr)
        memory_->releaseBytes(data_, bytes_);
    else
        freeAligned(static_cast<float*>(data_));
    data_ = nullptr;
    bytes_ = 0;
}

void MemoryBlock::copyFromHost(const void* source, int64_t bytes)
{
    copyFromHostInSpace(memory_, data_, source, bytes);
}

void MemoryBlock::copyToHost(void* destination, int64_t bytes) const
{
    copyToHostInSpace(memory_, destination, data_, bytes);
}

void MemoryBlock::copyFromHostInSpace(Backend* memory, void* destination, const void* hostSource, int64_t bytes)
{
    if (memory != nullptr)
        memory->copyFromHost(destination, hostSource, bytes);
    else
        std::memcpy(destination, hostSource, static_cast<size_t>(bytes));
}

void MemoryBlock::copyToHostInSpace(Backend* memory, void* hostDestination, const void* source, int64_t bytes)
{
    if (memory != nullptr)
        memory->copyToHost(hostDestination, source, bytes);
    else
        std::memcpy(hostDestination, source, static_cast<size_t>(bytes));
}

void MemoryBlock::copyWithin(const void* source, int64_t bytes, int64_t destinationOffset)
{
    copyInSpace(memory_, static_cast<char*>(data_) + destinationOffset, source, bytes);
}

void MemoryBlock::copyInSpace(Backend* memory, void* destination, const void* source, int64_t bytes)
{
    if (memory != nullptr)
        memory->copyWithin(destination, source, bytes);
    else
        std::memcpy(destination, source, static_cast<size_t>(bytes));
}

void MemoryBlock::zero()
{
    if (memory_ != nullptr)
        memory_->zeroBytes(data_, bytes_);
    else
        std::memset(data_, 0, static_cast<size_t>(bytes_));
}

} // namespace lpm
