#include "nn/language_model_head.h"

#include "tensor/error.h"

namespace lpm {

namespace {
struct HeadContext : LayerContext {
    std::unique_ptr<LayerContext> norm, projection;
};
} // namespace

LanguageModelHead::LanguageModelHead(const LanguageModelHeadOptions& options)
    : options_(options), norm_(options.width), projection_({options.width, options.vocabulary, false})
{
}

std::string LanguageModelHead::describe() const
{
    return "width " + std::to_string(options_.width) + " -> vocabulary " + std::to_string(options_.vocabulary);
}

Shape LanguageModelHead::outputShape(const Shape& input) const
{
    if (input.rank() != 3 || input[2] != options_.width)
        throw InvalidArgument("LanguageModelHead " + describe() + ": expected input (N, T, "
                              + std::to_string(options_.width) + "), got " + input.toString());
    return projection_.outputShape(input);
}

UnitCost LanguageModelHead::cost(const Shape& input) const
{
    outputShape(input);
    UnitCost cost;
    cost.launches = 0;
    addUnitCost(cost, norm_.cost(input));
    addUnitCost(cost, projection_.cost(input));
    cost.outputBytes = projection_.cost(input).outputBytes;
    return cost;
}

Tensor LanguageModelHead::forward(Backend& backend, Tensor input, const StepInfo& step,
                                  std::unique_ptr<LayerContext>& context)
{
    outputShape(input.shape());
    auto saved = std::make_unique<HeadContext>();
    Tensor output = projection_.forward(backend, norm_.forward(backend, std::move(input), step, saved->norm), step,
                                        saved->projection);
    context = std::move(saved);
    return output;
}

Tensor LanguageModelHead::backward(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<HeadContext>(context);
    return norm_.backward(backend, projection_.backward(backend, std::move(gradOutput), *saved.projection),
                          *saved.norm);
}

Tensor LanguageModelHead::backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<HeadContext>(context);
    return norm_.backwardInput(backend, projection_.backwardInput(backend, std::move(gradOutput), *saved.projection),
                               *saved.norm);
}

void LanguageModelHead::backwardWeights(Backend& backend, LayerContext& context)
{
    auto& saved = contextAs<HeadContext>(context);
    norm_.backwardWeights(backend, *saved.norm);
    projection_.backwardWeights(backend, *saved.projection);
}

void LanguageModelHead::collectParameters(const std::string& prefix, std::vector<ParameterSlot*>& out)
{
    norm_.collectParameters(prefix + "ln_f.", out);
    projection_.collectParameters(prefix + "lm_head.", out);
}

} // namespace lpm
