#include "nn/dropout.h"

#include <cstdio>

#include "tensor/error.h"

namespace lpm {

namespace {
struct DropoutContext : LayerContext {
    Tensor mask; // empty when the forward was the identity
};
} // namespace

Dropout::Dropout(const DropoutOptions& options) : options_(options)
{
    if (!(options.probability >= 0.0f && options.probability < 1.0f))
        throw InvalidArgument("Dropout: probability must be in [0, 1), got " + std::to_string(options.probability));
}

std::string Dropout::describe() const
{
    char text[32];
    std::snprintf(text, sizeof text, "p=%.2f", double(options_.probability));
    return text;
}

UnitCost Dropout::cost(const Shape& input) const
{
    const int64_t elements = input.sampleElementCount();
    UnitCost cost;
    cost.forwardFlops = 2.0 * double(elements);
    cost.backwardFlops = double(elements);
    cost.outputBytes = int64_t(sizeof(float)) * elements;
    cost.savedBytes = int64_t(sizeof(float)) * elements;
    return cost;
}

Tensor Dropout::forward(Backend& backend, Tensor input, const StepInfo& step, std::unique_ptr<LayerContext>& context)
{
    auto saved = std::make_unique<DropoutContext>();
    if (step.training && options_.probability > 0.0f) {
        saved->mask = Tensor::uninitializedLike(input, input.shape());
        backend.dropoutForward(input.elementCount(), options_.probability, step.randomKey,
                               step.sampleOffset * input.shape().sampleElementCount(), input.data(), input.data(),
                               saved->mask.data());
    }
    context = std::move(saved);
    return input;
}

Tensor Dropout::backward(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<DropoutContext>(context);
    if (!saved.mask.empty())
        backend.multiply(gradOutput.elementCount(), gradOutput.data(), saved.mask.data(), gradOutput.data());
    return gradOutput;
}

} // namespace lpm
