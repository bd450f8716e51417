#include "nn/flatten.h"

#include "tensor/error.h"

namespace lpm {

namespace {
struct FlattenContext : LayerContext {
    Shape inputShape;
};
} // namespace

Shape Flatten::outputShape(const Shape& input) const
{
    if (input.rank() < 2)
        throw InvalidArgument("Flatten: expected input with a batch extent, got " + input.toString());
    return Shape{input[0], input.sampleElementCount()};
}

UnitCost Flatten::cost(const Shape& input) const
{
    UnitCost cost;
    cost.outputBytes = int64_t(sizeof(float)) * input.sampleElementCount();
    return cost;
}

Tensor Flatten::forward(Backend&, Tensor input, const StepInfo&, std::unique_ptr<LayerContext>& context)
{
    auto saved = std::make_unique<FlattenContext>();
    saved->inputShape = input.shape();
    input.reshape(outputShape(input.shape()));
    context = std::move(saved);
    return input;
}

Tensor Flatten::backward(Backend&, Tensor gradOutput, LayerContext& context)
{
    gradOutput.reshape(contextAs<FlattenContext>(context).inputShape);
    return gradOutput;
}

} // namespace lpm
