#include "nn/gelu.h"

namespace lpm {

namespace {
struct GeluContext : LayerContext {
    Tensor input;
};
} // namespace

UnitCost Gelu::cost(const Shape& input) const
{
    const int64_t elements = input.sampleElementCount();
    UnitCost cost;
    cost.forwardFlops = 8.0 * double(elements); // the cubic, tanh counted as one
    cost.backwardFlops = 14.0 * double(elements);
    cost.outputBytes = int64_t(sizeof(float)) * elements;
    cost.savedBytes = int64_t(sizeof(float)) * elements;
    return cost;
}

Tensor Gelu::forward(Backend& backend, Tensor input, const StepInfo& step, std::unique_ptr<LayerContext>& context)
{
    if (!step.training) {
        backend.geluForward(input.elementCount(), input.data(), input.data());
        return input;
    }
    Tensor output = Tensor::uninitializedLike(input, input.shape());
    backend.geluForward(input.elementCount(), input.data(), output.data());
    auto saved = std::make_unique<GeluContext>();
    saved->input = std::move(input);
    context = std::move(saved);
    return output;
}

Tensor Gelu::backward(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<GeluContext>(context);
    backend.geluBackward(gradOutput.elementCount(), saved.input.data(), gradOutput.data(), gradOutput.data());
    return gradOutput;
}

} // namespace lpm
