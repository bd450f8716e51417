#include "tensor/memory_space.h"

#include <cstring>

#include "tensor/error.h"
#include "tensor/tensor.h"

namespace lpm {

MemoryResource& MemorySpace::resource() const
{
    if (resource_ == nullptr)
        throw InvalidArgument("MemorySpace::resource: the host's memory has no resource");
    return *resource_;
}

std::string MemorySpace::name() const
{
    return resource_ != nullptr ? resource_->name() : std::string("the host");
}

void* MemorySpace::allocate(int64_t bytes) const
{
    if (resource_ != nullptr)
        return resource_->allocateBytes(bytes);
    return allocateAligned((bytes + int64_t(sizeof(float)) - 1) / int64_t(sizeof(float)));
}

void MemorySpace::release(void* data, int64_t bytes) const noexcept
{
    if (resource_ != nullptr)
        resource_->releaseBytes(data, bytes);
    else
        freeAligned(static_cast<float*>(data));
}

void MemorySpace::copyFromHost(void* destination, const void* hostSource, int64_t bytes) const
{
    if (bytes == 0)
        return; // (memcpy may not be given a null pointer, even for nothing)
    if (resource_ != nullptr)
        resource_->copyFromHost(destination, hostSource, bytes);
    else
        std::memcpy(destination, hostSource, static_cast<size_t>(bytes));
}

void MemorySpace::copyToHost(void* hostDestination, const void* source, int64_t bytes) const
{
    if (bytes == 0)
        return; // (memcpy may not be given a null pointer, even for nothing)
    if (resource_ != nullptr)
        resource_->copyToHost(hostDestination, source, bytes);
    else
        std::memcpy(hostDestination, source, static_cast<size_t>(bytes));
}

void MemorySpace::copyWithin(void* destination, const void* source, int64_t bytes) const
{
    if (bytes == 0)
        return; // (memcpy may not be given a null pointer, even for nothing)
    if (resource_ != nullptr)
        resource_->copyWithin(destination, source, bytes);
    else
        std::memcpy(destination, source, static_cast<size_t>(bytes));
}

void MemorySpace::zero(void* data, int64_t bytes) const
{
    if (bytes == 0)
        return;
    if (resource_ != nullptr)
        resource_->zeroBytes(data, bytes);
    else
        std::memset(data, 0, static_cast<size_t>(bytes));
}

void MemorySpace::synchronize() const
{
    if (resource_ != nullptr)
        resource_->synchronize();
}

} // namespace lpm
