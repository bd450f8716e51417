#include "nn/layer_norm.h"

#include "tensor/error.h"

namespace lpm {

namespace {
struct LayerNormContext : LayerContext {
    Tensor input;      // x, (…, C)
    Tensor mean;       // one per row
    Tensor invStd;     // one per row
    Tensor gradOutput; // dy, from backwardInput until backwardWeights
};

// Backend::layerNormBackward on what the forward kept: dx (returned; empty
// unless `inputGradient`) and, unless null, the weight and bias gradients.
Tensor layerNormBackward(Backend& backend, const LayerNormGeometry& g, const LayerNormContext& saved,
                         const float* gamma, const Tensor& gradOutput, bool inputGradient, float* gradGamma,
                         float* gradBeta)
{
    Tensor gradInput = inputGradient ? Tensor::uninitializedLike(gradOutput, gradOutput.shape()) : Tensor();
    backend.layerNormBackward(g, saved.input.data(), gamma, saved.mean.data(), saved.invStd.data(), gradOutput.data(),
                              inputGradient ? gradInput.data() : nullptr, gradGamma, gradBeta);
    return gradInput;
}
} // namespace

LayerNorm::LayerNorm(int64_t features, float epsilon)
    : features_(features), epsilon_(epsilon),
      weight_(registerParameter("weight", Shape{features}, ParameterInit::Ones, 1)),
      bias_(registerParameter("bias", Shape{features}, ParameterInit::Zeros, 1))
{
    if (features <= 0)
        throw InvalidArgument("LayerNorm: the feature count must be positive");
}

Shape LayerNorm::outputShape(const Shape& input) const
{
    if (input.rank() < 2 || input[input.rank() - 1] != features_)
        throw InvalidArgument("LayerNorm " + describe() + ": expected input (N, " + std::to_string(features_)
                              + ") or (N, T, " + std::to_string(features_) + "), got " + input.toString());
    return input;
}

UnitCost LayerNorm::cost(const Shape& input) const
{
    outputShape(input);
    const int64_t elements = input.sampleElementCount();
    UnitCost cost;
    cost.forwardFlops = 7.0 * double(elements); // two sums, normalise, scale and shift
    cost.backwardFlops = 9.0 * double(elements);
    cost.weightGradientFlops = 3.0 * double(elements);
    cost.weightGradientBytes = int64_t(sizeof(float)) * elements; // dy
    cost.parameterBytes = int64_t(sizeof(float)) * 2 * features_;
    cost.outputBytes = int64_t(sizeof(float)) * elements;
    cost.savedBytes = int64_t(sizeof(float)) * (elements + 2 * elements / features_);
    return cost;
}

LayerNormGeometry LayerNorm::geometry(const Shape& input) const
{
    return LayerNormGeometry{input.elementCount() / features_, features_, epsilon_};
}

Tensor LayerNorm::forward(Backend& backend, Tensor input, const StepInfo&, std::unique_ptr<LayerContext>& context)
{
    const LayerNormGeometry g = geometry(outputShape(input.shape()));
    Tensor output = Tensor::uninitializedLike(input, input.shape());
    auto saved = std::make_unique<LayerNormContext>();
    saved->mean = Tensor::uninitializedLike(input, Shape{g.rows});
    saved->invStd = Tensor::uninitializedLike(input, Shape{g.rows});
    backend.layerNormForward(g, input.data(), weight_.value, bias_.value, output.data(), saved->mean.data(),
                             saved->invStd.data());
    saved->input = std::move(input);
    context = std::move(saved);
    return output;
}

Tensor LayerNorm::backward(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    const auto& saved = contextAs<LayerNormContext>(context);
    return layerNormBackward(backend, geometry(saved.input.shape()), saved, weight_.value, gradOutput, true,
                             weight_.grad, bias_.grad);
}

Tensor LayerNorm::backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<LayerNormContext>(context);
    Tensor gradInput = layerNormBackward(backend, geometry(saved.input.shape()), saved, weight_.value, gradOutput, true,
                                         nullptr, nullptr);
    saved.gradOutput = std::move(gradOutput);
    return gradInput;
}

void LayerNorm::backwardWeights(Backend& backend, LayerContext& context)
{
    auto& saved = contextAs<LayerNormContext>(context);
    layerNormBackward(backend, geometry(saved.input.shape()), saved, weight_.value, saved.gradOutput, false,
                      weight_.grad, bias_.grad);
    saved.gradOutput = Tensor();
}

} // namespace lpm
