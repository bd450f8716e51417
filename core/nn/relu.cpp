#include "nn/relu.h"

namespace lpm {

namespace {
struct ReluContext : LayerContext {
    Tensor input; // the backward's mask: x > 0 ⟺ y > 0
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

Tensor Relu::forward(Backend& backend, Tensor input, const StepInfo& step, std::unique_ptr<LayerContext>& context)
{
    if (!step.training) {
        backend.reluForward(input.elementCount(), input.data(), input.data());
        return input;
    }
    Tensor output = Tensor::uninitializedLike(input, input.shape());
    backend.reluForward(input.elementCount(), input.data(), output.data());
    auto saved = std::make_unique<ReluContext>();
    saved->input = std::move(input);
    context = std::move(saved);
    return output;
}

Tensor Relu::backward(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<ReluContext>(context);
    // Backend::reluBackward masks by "y > 0"; x gives the same mask.
    backend.reluBackward(gradOutput.elementCount(), saved.input.data(), gradOutput.data(), gradOutput.data());
    return gradOutput;
}

} // namespace lpm
