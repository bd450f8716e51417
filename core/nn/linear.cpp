#include "nn/linear.h"

#include "tensor/error.h"

namespace lpm {

namespace {
struct LinearContext : LayerContext {
    Tensor input;      // (N, in)
    Tensor gradOutput; // (N, out), from backwardInput until backwardWeights
};
} // namespace

Linear::Linear(const LinearOptions& options)
    : options_(options), weight_(registerParameter("weight", Shape{options.outFeatures, options.inFeatures},
                                                   ParameterInit::UniformFanIn, options.inFeatures))
{
    if (options.inFeatures <= 0 || options.outFeatures <= 0)
        throw InvalidArgument("Linear: feature counts must be positive");
    if (options.bias)
        bias_ = &registerParameter("bias", Shape{options.outFeatures}, ParameterInit::UniformFanIn, options.inFeatures);
}

std::string Linear::describe() const
{
    return std::to_string(options_.inFeatures) + "->" + std::to_string(options_.outFeatures);
}

Shape Linear::outputShape(const Shape& input) const
{
    if (input.rank() != 2 || input[1] != options_.inFeatures)
        throw InvalidArgument("Linear " + describe() + ": expected input (N, " + std::to_string(options_.inFeatures)
                              + "), got " + input.toString());
    return Shape{input[0], options_.outFeatures};
}

UnitCost Linear::cost(const Shape& input) const
{
    outputShape(input);
    const double multiplyAdds = double(options_.inFeatures) * double(options_.outFeatures);
    UnitCost cost;
    cost.forwardFlops = 2.0 * multiplyAdds;
    cost.backwardFlops = 4.0 * multiplyAdds;
    cost.weightGradientFlops = 2.0 * multiplyAdds; // dW; dx takes the other half
    cost.weightGradientBytes = int64_t(sizeof(float)) * (options_.inFeatures + options_.outFeatures); // x and dy
    cost.parameterBytes = int64_t(sizeof(float))
                          * (options_.inFeatures * options_.outFeatures + (options_.bias ? options_.outFeatures : 0));
    cost.outputBytes = int64_t(sizeof(float)) * options_.outFeatures;
    cost.savedBytes = int64_t(sizeof(float)) * options_.inFeatures;
    return cost;
}

Tensor Linear::forward(Backend& backend, Tensor input, const StepInfo&, std::unique_ptr<LayerContext>& context)
{
    Tensor output = Tensor::uninitializedLike(input, outputShape(input.shape()));
    const int64_t rows = input.shape()[0];
    backend.gemm(false, true, rows, options_.outFeatures, options_.inFeatures, 1.0f, input.data(), options_.inFeatures,
                 weight_.value, options_.inFeatures, 0.0f, output.data(), options_.outFeatures);
    if (bias_ != nullptr)
        backend.addRowBias(rows, options_.outFeatures, bias_->value, output.data());
    auto saved = std::make_unique<LinearContext>();
    saved->input = std::move(input);
    context = std::move(saved);
    return output;
}

void Linear::addParameterGradients(Backend& backend, const Tensor& input, const Tensor& gradOutput)
{
    const int64_t rows = input.shape()[0];
    const int64_t in = options_.inFeatures, out = options_.outFeatures;
    // dW (out, in) += dyᵀ · x;  db += Σ_rows dy.
    backend.gemm(true, false, out, in, rows, 1.0f, gradOutput.data(), out, input.data(), in, 1.0f, weight_.grad, in);
    if (bias_ != nullptr)
        backend.accumulateColumnSums(rows, out, gradOutput.data(), bias_->grad);
}

Tensor Linear::inputGradient(Backend& backend, const Tensor& input, const Tensor& gradOutput) const
{
    if (!inputGradientNeeded())
        return Tensor();
    // dx (N, in) = dy · W.
    const int64_t rows = input.shape()[0];
    Tensor gradInput = Tensor::uninitializedLike(input, input.shape());
    backend.gemm(false, false, rows, options_.inFeatures, options_.outFeatures, 1.0f, gradOutput.data(),
                 options_.outFeatures, weight_.value, options_.inFeatures, 0.0f, gradInput.data(), options_.inFeatures);
    return gradInput;
}

Tensor Linear::backward(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<LinearContext>(context);
    addParameterGradients(backend, saved.input, gradOutput);
    return inputGradient(backend, saved.input, gradOutput);
}

Tensor Linear::backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<LinearContext>(context);
    Tensor gradInput = inputGradient(backend, saved.input, gradOutput);
    saved.gradOutput = std::move(gradOutput);
    return gradInput;
}

void Linear::backwardWeights(Backend& backend, LayerContext& context)
{
    auto& saved = contextAs<LinearContext>(context);
    addParameterGradients(backend, saved.input, saved.gradOutput);
    saved.gradOutput = Tensor();
}

} // namespace lpm
