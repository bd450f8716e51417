#include "nn/parameter_store.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "io/binary_stream.h"
#include "tensor/error.h"
#include "tensor/random.h"

namespace lpm {

namespace {
uint64_t nameKey(uint64_t seed, const std::string& name)
{
    return deriveKey(seed, fnv1a64(name.data(), name.size()));
}
} // namespace

ParameterStore::ParameterStore(Model& model) : ParameterStore(model, 0, model.unitCount() - 1) {}

ParameterStore::ParameterStore(Model& model, int firstUnit, int lastUnit)
{
    if (firstUnit < 0 || lastUnit >= model.unitCount() || firstUnit > lastUnit)
        throw InvalidArgument("ParameterStore: unit range [" + std::to_string(firstUnit) + ", "
                              + std::to_string(lastUnit) + "] is outside model " + model.name() + " with "
                              + std::to_string(model.unitCount()) + " units");
    firstUnit_ = firstUnit;
    int64_t parameterTotal = 0, bufferTotal = 0;
    for (int index = firstUnit; index <= lastUnit; ++index) {
        unitOffsets_.push_back(parameterTotal);
        unitBufferOffsets_.push_back(bufferTotal);
        const size_t parametersBefore = parameterSlots_.size(), buffersBefore = bufferSlots_.size();
        model.unit(index).collectParameters(unitPrefix(index), parameterSlots_);
        model.unit(index).collectBuffers(unitPrefix(index), bufferSlots_);
        for (size_t slot = parametersBefore; slot < parameterSlots_.size(); ++slot)
            parameterTotal += parameterSlots_[slot]->shape.elementCount();
        for (size_t slot = buffersBefore; slot < bufferSlots_.size(); ++slot)
            bufferTotal += bufferSlots_[slot]->shape.elementCount();
    }
    unitOffsets_.push_back(parameterTotal);
    unitBufferOffsets_.push_back(bufferTotal);
    values_.assign(static_cast<size_t>(parameterTotal), 0.0f);
    gradients_.assign(static_cast<size_t>(parameterTotal), 0.0f);
    buffers_.assign(static_cast<size_t>(bufferTotal), 0.0f);
    bindSlots(values_.data(), gradients_.data(), buffers_.data());
}

void ParameterStore::bindSlots(float* values, float* gradients, float* buffers)
{
    int64_t offset = 0;
    for (ParameterSlot* slot : parameterSlots_) {
        slot->value = values + offset;
        slot->grad = gradients + offset;
        offset += slot->shape.elementCount();
    }
    offset = 0;
    for (BufferSlot* slot : bufferSlots_) {
        slot->value = buffers + offset;
        offset += slot->shape.elementCount();
    }
}

void ParameterStore::placeOn(Backend& backend)
{
    const MemorySpace space = memorySpaceOf(backend);
    if (space.isHost() || space == space_)
        return;
    auto bytes = [](const std::vector<float>& host) { return int64_t(sizeof(float)) * int64_t(host.size()); };
    copyToHost(); // from a previous placement, if any
    placed_[0] = MemoryBlock(space, std::max<int64_t>(bytes(values_), 4));
    placed_[1] = MemoryBlock(space, std::max<int64_t>(bytes(gradients_), 4));
    placed_[2] = MemoryBlock(space, std::max<int64_t>(bytes(buffers_), 4));
    space_ = space;
    copyFromHost();
    placed_[1].zero();
    bindSlots(placed_[0].as<float>(), placed_[1].as<float>(), placed_[2].as<float>());
}

void ParameterStore::copyToHost() const
{
    if (!placedOffHost())
        return;
    placed_[0].copyToHost(values_.data(), int64_t(sizeof(float)) * int64_t(values_.size()));
    placed_[2].copyToHost(buffers_.data(), int64_t(sizeof(float)) * int64_t(buffers_.size()));
}

void ParameterStore::copyFromHost()
{
    if (!placedOffHost())
        return;
    placed_[0].copyFromHost(values_.data(), int64_t(sizeof(float)) * int64_t(values_.size()));
    placed_[2].copyFromHost(buffers_.data(), int64_t(sizeof(float)) * int64_t(buffers_.size()));
}

void ParameterStore::initialize(uint64_t seed)
{
    // Drawn into the host copies (the slots may point into a GPU's memory).
    float* value = values_.data();
    for (const ParameterSlot* slot : parameterSlots_) {
        const int64_t count = slot->shape.elementCount();
        if (slot->given) { // an imported model's weights (their size checked when given)
            std::copy_n(slot->given->data(), count, value);
            value += count;
            continue;
        }
        RandomStream stream(nameKey(seed, slot->name));
        const float fanIn = static_cast<float>(std::max<int64_t>(slot->fanIn, 1));
        for (int64_t i = 0; i < count; ++i) {
            switch (slot->init) {
            case ParameterInit::UniformFanIn:
                value[i] = (2.0f * stream.nextUniform() - 1.0f) / std::sqrt(fanIn);
                break;
            case ParameterInit::Zeros:
                value[i] = 0.0f;
                break;
            case ParameterInit::Ones:
                value[i] = 1.0f;
                break;
            case ParameterInit::SmallNormal:
                value[i] = 0.02f * stream.nextNormal();
                break;
            }
        }
        value += count;
    }
    float* buffer = buffers_.data();
    for (const BufferSlot* slot : bufferSlots_) {
        if (slot->given)
            std::copy_n(slot->given->data(), slot->shape.elementCount(), buffer);
        else
            std::fill_n(buffer, slot->shape.elementCount(), slot->initialValue);
        buffer += slot->shape.elementCount();
    }
    copyFromHost();
    zeroGradients();
}

void ParameterStore::zeroGradients()
{
    zeroGradients(0, parameterCount());
}

void ParameterStore::zeroGradients(int64_t first, int64_t count)
{
    space_.zero(gradients() + first, int64_t(sizeof(float)) * count);
}

void ParameterStore::zeroGradients(int64_t first, int64_t count, Backend& on)
{
    if (placedOffHost())
        on.zeroBytes(gradients() + first, int64_t(sizeof(float)) * count);
    else
        zeroGradients(first, count);
}

int64_t ParameterStore::unitParameterOffset(int unit) const
{
    const int64_t index = int64_t(unit) - firstUnit_;
    if (index < 0 || index >= int64_t(unitOffsets_.size()))
        throw InvalidArgument("ParameterStore: unit " + std::to_string(unit) + " is outside units "
                              + std::to_string(firstUnit_) + ".."
                              + std::to_string(firstUnit_ + int64_t(unitOffsets_.size()) - 2));
    return unitOffsets_[size_t(index)];
}

int64_t ParameterStore::unitBufferOffset(int unit) const
{
    unitParameterOffset(unit); // range check
    return unitBufferOffsets_[size_t(unit - firstUnit_)];
}

StoreDifference largestRelativeDifference(const ParameterStore& a, const ParameterStore& b)
{
    if (a.parameterCount() != b.parameterCount() || a.bufferCount() != b.bufferCount())
        throw InvalidArgument("comparing weights of different models: " + std::to_string(a.parameterCount()) + " and "
                              + std::to_string(b.parameterCount()) + " parameters");
    a.copyToHost();
    b.copyToHost();
    auto compare = [](const float* x, const float* y, int64_t count) {
        double largest = 0.0, difference = 0.0;
        for (int64_t i = 0; i < count; ++i) {
            largest = std::max(largest, double(std::abs(y[i])));
            difference = std::max(difference, double(std::abs(x[i] - y[i])));
        }
        return largest > 0.0 ? difference / largest : difference;
    };
    return {compare(a.hostValues(), b.hostValues(), a.parameterCount()),
            compare(a.hostBuffers(), b.hostBuffers(), a.bufferCount())};
}

std::string weightsDigest(const ParameterStore& store)
{
    store.copyToHost();
    uint64_t hash = fnv1a64(store.hostValues(), sizeof(float) * size_t(store.parameterCount()));
    hash = fnv1a64(store.hostBuffers(), sizeof(float) * size_t(store.bufferCount()), hash);
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
    return text;
}

} // namespace lpm
