#include "nn/layer.h"

#include "tensor/error.h"

namespace lpm {

void Layer::collectParameters(const std::string& prefix, std::vector<ParameterSlot*>& out)
{
    for (auto& slot : parameters_) {
        slot->name = prefix + slot->localName;
        out.push_back(slot.get());
    }
}

void Layer::collectBuffers(const std::string& prefix, std::vector<BufferSlot*>& out)
{
    for (auto& slot : buffers_) {
        slot->name = prefix + slot->localName;
        out.push_back(slot.get());
    }
}

Tensor Layer::backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    if (!parameters_.empty())
        throw InvalidArgument(kind() + " (" + describe()
                              + ") has parameters but does not split its backward "
                                "into input and weight gradients (backwardInput, backwardWeights)");
    return backward(backend, std::move(gradOutput), context);
}

void Layer::backwardWeights(Backend&, LayerContext&) {}

void Layer::setImported(const std::string& localName, const std::string& sourceName,
                        std::shared_ptr<const std::vector<float>> values)
{
    auto take = [&](const Shape& shape, std::string& importedFrom, std::shared_ptr<const std::vector<float>>& given) {
        if (values && int64_t(values->size()) != shape.elementCount())
            throw InvalidArgument(kind() + " " + localName + " ('" + sourceName + "'): expected "
                                  + std::to_string(shape.elementCount()) + " values " + shape.toString() + ", got "
                                  + std::to_string(values->size()));
        importedFrom = sourceName;
        if (values)
            given = std::move(values);
    };
    for (auto& slot : parameters_)
        if (slot->localName == localName)
            return take(slot->shape, slot->importedFrom, slot->given);
    for (auto& slot : buffers_)
        if (slot->localName == localName)
            return take(slot->shape, slot->importedFrom, slot->given);
    throw InvalidArgument(kind() + ": no parameter or buffer named '" + localName + "'");
}

ParameterSlot& Layer::registerParameter(std::string name, const Shape& shape, ParameterInit init, int64_t fanIn)
{
    auto slot = std::make_unique<ParameterSlot>();
    slot->localName = name;
    slot->name = std::move(name);
    slot->shape = shape;
    slot->init = init;
    slot->fanIn = fanIn;
    parameters_.push_back(std::move(slot));
    return *parameters_.back();
}

BufferSlot& Layer::registerBuffer(std::string name, const Shape& shape, float initialValue, float averagingMomentum)
{
    auto slot = std::make_unique<BufferSlot>();
    slot->localName = name;
    slot->name = std::move(name);
    slot->shape = shape;
    slot->initialValue = initialValue;
    slot->averagingMomentum = averagingMomentum;
    buffers_.push_back(std::move(slot));
    return *buffers_.back();
}

void requireRank(const std::string& layer, const Shape& input, int rank, const std::string& expected)
{
    if (input.rank() != rank)
        throw InvalidArgument(layer + ": expected input " + expected + ", got shape " + input.toString());
}

} // namespace lpm
