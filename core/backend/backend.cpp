// Backend's host-memory defaults and the shared Adam bias corrections.
#include "backend/backend.h"

#include <cmath>
#include <cstring>

#include "tensor/tensor.h"

namespace lpm {

AdamStepScales adamStepScales(const AdamHyper& h)
{
    const double stepPower = static_cast<double>(h.step);
    const float correction1 = static_cast<float>(1.0 - std::pow(double(h.beta1), stepPower));
    const float correction2 = static_cast<float>(1.0 - std::pow(double(h.beta2), stepPower));
    return {h.learningRate / correction1, std::sqrt(correction2)};
}

void* Backend::allocateBytes(int64_t bytes)
{
    return allocateAligned((bytes + int64_t(sizeof(float)) - 1) / int64_t(sizeof(float)));
}

void Backend::releaseBytes(void* data, int64_t) noexcept { freeAligned(static_cast<float*>(data)); }

void Backend::copyFromHost(void* destination, const void* hostSource, int64_t bytes)
{
    std::memcpy(destination, hostSource, static_cast<size_t>(bytes));
}

void Backend::copyToHost(void* hostDestination, const void* source, int64_t bytes)
{
    std::memcpy(hostDestination, source, static_cast<size_t>(bytes));
}

void Backend::copyWithin(void* destination, const void* source, int64_t bytes)
{
    std::memcpy(destination, source, static_cast<size_t>(bytes));
}

void Backend::zeroBytes(void* data, int64_t bytes) { std::memset(data, 0, static_cast<size_t>(bytes)); }

} // namespace lpm
