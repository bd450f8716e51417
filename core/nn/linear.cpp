#include "nn/linear.h"

#include "tensor/error.h"

namespace lpm {

namespace {
struct LinearContext : LayerContext {
    Tensor input;      // (N, in) or (N, T, in)
    Tensor gradOutput; // (N, out) or (N, T, out), from backwardInput until backwardWeights
};

// Rows of the product: every extent but the last.
int64_t rowsOf(const Tensor& input)
{
    const Shape& shape = input.shape();
    return shape.elementCount() / shape[shape.rank() - 1];
}
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
    if ((input.rank() != 2 && input.rank() != 3) || input[input.rank() - 1] != options_.inFeatures)
        throw InvalidArgument("Linear " + describe() + ": expected input (N, " + std::to_string(options_.inFeatures)
                              + ") or (N, T, " + std::to_string(options_.inFeatures) + "), got " + input.toString());
    Shape output = input;
    output[input.rank() - 1] = options_.outFeatures;
    return output;
}

UnitCost Linear::cost(const Shape& input) const
{
    outputShape(input);
    const int64_t positions = input.rank() == 3 ? input[1] : 1; // rows per sample
    const double multiplyAdds = double(positions) * double(options_.inFeatures) * double(options_.outFeatures);
    UnitCost cost;
    cost.forwardFlops = 2.0 * multiplyAdds;
    cost.backwardFlops = 4.0 * multiplyAdds;
    cost.weightGradientFlops = 2.0 * multiplyAdds; // dW; dx takes the other half
    cost.weightGradientBytes =
        int64_t(sizeof(float)) * positions * (options_.inFeatures + options_.outFeatures); // x, dy
    cost.parameterBytes = int64_t(sizeof(float))
                          * (options_.inFeatures * options_.outFeatures + (options_.bias ? options_.outFeatures : 0));
    cost.outputBytes = int64_t(sizeof(float)) * positions * options_.outFeatures;
    cost.savedBytes = int64_t(sizeof(float)) * positions * options_.inFeatures;
    return cost;
}

Tensor Linear::forward(Backend& backend, Tensor input, const StepInfo&, std::unique_ptr<LayerContext>& context)
{
    Tensor output = Tensor::uninitializedLike(input, outputShape(input.shape()));
    const int64_t rows = rowsOf(input);
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
    const int64_t rows = rowsOf(input);
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
    const int64_t rows = rowsOf(input);
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

const Tensor& Linear::keptInput(const LayerContext& context)
{
    return contextAs<LinearContext>(context).input;
}

void Linear::backwardWeights(Backend& backend, LayerContext& context)
{
    auto& saved = contextAs<LinearContext>(context);
    addParameterGradients(backend, saved.input, saved.gradOutput);
    saved.gradOutput = Tensor();
}

} // namespace lpm
