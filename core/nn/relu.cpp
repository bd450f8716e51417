#include "nn/relu.h"

namespace lpm {

namespace {
struct ReluContext : LayerContext {
    Tensor output;
};
} // namespace

UnitCost Relu::cost(const Shape& input) const
{
    const int64_t elements = input.sampleElementCount();
    UnitCost cost;
    cost.forwardFlops = double(elements);
    cost.backwardFlops = double(elements);
    cost.outputBytes = int64_t(sizeof(float)) * elements;
    cost.savedBytes = int64_t(sizeof(float)) * elements;
    return cost;
}

Tensor Relu::forward(Backend& backend, Tensor input, const StepInfo& step,
                     std::unique_ptr<LayerContext>& context)
{
    backend.reluForward(input.elementCount(), input.data(), input.data());
    if (!step.training)
        return input;
    auto saved = std::make_unique<ReluContext>();
    saved->output = input.clone();
    context = std::move(saved);
    return input;
}

Tensor Relu::backward(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<ReluContext>(context);
    backend.reluBackward(gradOutput.elementCount(), saved.output.data(), gradOutput.data(),
                         gradOutput.data());
    return gradOutput;
}

} // namespace lpm
