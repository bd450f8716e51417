#include "nn/token_embedding.h"

#include "tensor/error.h"

namespace lpm {

namespace {
struct EmbeddingContext : LayerContext {
    Tensor ids;        // (N, T)
    Tensor gradOutput; // (N, T, C), from backwardInput until backwardWeights
};
} // namespace

TokenEmbedding::TokenEmbedding(const TokenEmbeddingOptions& options)
    : options_(options), token_(registerParameter("token.weight", Shape{options.vocabulary, options.width},
                                                  ParameterInit::SmallNormal, 1)),
      position_(
          registerParameter("position.weight", Shape{options.context, options.width}, ParameterInit::SmallNormal, 1))
{
    if (options.vocabulary <= 0 || options.context <= 0 || options.width <= 0)
        throw InvalidArgument("TokenEmbedding: vocabulary, context and width must be positive");
}

std::string TokenEmbedding::describe() const
{
    return "vocabulary " + std::to_string(options_.vocabulary) + ", context " + std::to_string(options_.context)
           + ", width " + std::to_string(options_.width);
}

Shape TokenEmbedding::outputShape(const Shape& input) const
{
    if (input.rank() != 2 || input[1] < 1 || input[1] > options_.context)
        throw InvalidArgument("TokenEmbedding " + describe() + ": expected token ids (N, T) with 1 ≤ T ≤ "
                              + std::to_string(options_.context) + ", got " + input.toString());
    return Shape{input[0], input[1], options_.width};
}

UnitCost TokenEmbedding::cost(const Shape& input) const
{
    const Shape output = outputShape(input);
    const int64_t elements = output.sampleElementCount();
    UnitCost cost;
    cost.forwardFlops = double(elements); // the position addition
    cost.backwardFlops = 2.0 * double(elements);
    cost.weightGradientFlops = cost.backwardFlops;
    cost.weightGradientBytes = int64_t(sizeof(float)) * (elements + input[1]); // dy and the ids
    cost.parameterBytes = int64_t(sizeof(float)) * (options_.vocabulary + options_.context) * options_.width;
    cost.outputBytes = int64_t(sizeof(float)) * elements;
    cost.savedBytes = int64_t(sizeof(float)) * input[1];
    cost.launches = 2;
    return cost;
}

Tensor TokenEmbedding::forward(Backend& backend, Tensor input, const StepInfo&, std::unique_ptr<LayerContext>& context)
{
    const Shape shape = outputShape(input.shape());
    const int64_t batch = shape[0], tokens = shape[1], width = options_.width;
    Tensor output = Tensor::uninitializedLike(input, shape);
    backend.embeddingForward(batch * tokens, width, options_.vocabulary, input.data(), token_.value, output.data());
    // Every sample gets the first T rows of the position table.
    backend.addRowBias(batch, tokens * width, position_.value, output.data());
    auto saved = std::make_unique<EmbeddingContext>();
    saved->ids = std::move(input);
    context = std::move(saved);
    return output;
}

void TokenEmbedding::addParameterGradients(Backend& backend, const Tensor& ids, const Tensor& gradOutput)
{
    const int64_t batch = ids.shape()[0], tokens = ids.shape()[1], width = options_.width;
    backend.embeddingBackward(batch * tokens, width, options_.vocabulary, ids.data(), gradOutput.data(), token_.grad);
    backend.accumulateColumnSums(batch, tokens * width, gradOutput.data(), position_.grad);
}

Tensor TokenEmbedding::inputGradient(Backend& backend, const Tensor& ids) const
{
    if (!inputGradientNeeded())
        return Tensor();
    Tensor gradInput = Tensor::uninitializedLike(ids, ids.shape());
    backend.zeroBytes(gradInput.data(), int64_t(sizeof(float)) * gradInput.elementCount());
    return gradInput;
}

Tensor TokenEmbedding::backward(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<EmbeddingContext>(context);
    addParameterGradients(backend, saved.ids, gradOutput);
    return inputGradient(backend, saved.ids);
}

Tensor TokenEmbedding::backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<EmbeddingContext>(context);
    saved.gradOutput = std::move(gradOutput);
    return inputGradient(backend, saved.ids);
}

void TokenEmbedding::backwardWeights(Backend& backend, LayerContext& context)
{
    auto& saved = contextAs<EmbeddingContext>(context);
    addParameterGradients(backend, saved.ids, saved.gradOutput);
    saved.gradOutput = Tensor();
}

} // namespace lpm
