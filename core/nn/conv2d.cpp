#include "nn/conv2d.h"

#include "tensor/error.h"

namespace lpm {

namespace {
struct Conv2dContext : LayerContext {
    Tensor input;      // (N, in, H, W)
    Tensor gradOutput; // (N, out, Ho, Wo), from backwardInput until backwardWeights
};
} // namespace

Conv2d::Conv2d(const Conv2dOptions& options)
    : options_(options),
      weight_(registerParameter("weight",
                                Shape{options.outChannels, options.inChannels, options.kernel, options.kernel},
                                ParameterInit::UniformFanIn, options.inChannels * options.kernel * options.kernel))
{
    if (options.inChannels <= 0 || options.outChannels <= 0 || options.kernel <= 0 || options.stride <= 0
        || options.padding < 0)
        throw InvalidArgument("Conv2d: channels, kernel and stride must be positive, padding >= 0");
    if (options.bias)
        bias_ = &registerParameter("bias", Shape{options.outChannels}, ParameterInit::UniformFanIn,
                                   options.inChannels * options.kernel * options.kernel);
}

std::string Conv2d::describe() const
{
    const std::string k = std::to_string(options_.kernel);
    return k + "x" + k + " " + std::to_string(options_.inChannels) + "->" + std::to_string(options_.outChannels)
           + " stride " + std::to_string(options_.stride) + " pad " + std::to_string(options_.padding);
}

Conv2dGeometry Conv2d::geometry(const Shape& input) const
{
    if (input.rank() != 4 || input[1] != options_.inChannels)
        throw InvalidArgument("Conv2d " + describe() + ": expected input (N, " + std::to_string(options_.inChannels)
                              + ", H, W), got " + input.toString());
    Conv2dGeometry g;
    g.batch = input[0];
    g.inChannels = input[1];
    g.inHeight = input[2];
    g.inWidth = input[3];
    g.outChannels = options_.outChannels;
    g.kernelHeight = g.kernelWidth = options_.kernel;
    g.stride = options_.stride;
    g.padding = options_.padding;
    if (g.inHeight + 2 * g.padding < g.kernelHeight || g.inWidth + 2 * g.padding < g.kernelWidth)
        throw InvalidArgument("Conv2d " + describe() + ": input " + input.toString() + " is smaller than the kernel");
    return g;
}

Shape Conv2d::outputShape(const Shape& input) const
{
    Conv2dGeometry g = geometry(input);
    return Shape{g.batch, g.outChannels, g.outHeight(), g.outWidth()};
}

UnitCost Conv2d::cost(const Shape& input) const
{
    Conv2dGeometry g = geometry(input.withBatch(1));
    const double outputs = double(g.outChannels * g.outHeight() * g.outWidth());
    const double multiplyAdds = outputs * double(g.inChannels * g.kernelHeight * g.kernelWidth);
    UnitCost cost;
    cost.forwardFlops = 2.0 * multiplyAdds;
    cost.backwardFlops = 4.0 * multiplyAdds;
    cost.weightGradientFlops = 2.0 * multiplyAdds; // dW; dx takes the other half
    cost.parameterBytes =
        int64_t(sizeof(float))
        * (g.outChannels * g.inChannels * g.kernelHeight * g.kernelWidth + (options_.bias ? g.outChannels : 0));
    cost.outputBytes = int64_t(sizeof(float)) * int64_t(outputs);
    cost.savedBytes = int64_t(sizeof(float)) * g.inChannels * g.inHeight * g.inWidth;
    cost.weightGradientBytes = cost.savedBytes + cost.outputBytes; // x and dy
    return cost;
}

Tensor Conv2d::forward(Backend& backend, Tensor input, const StepInfo&, std::unique_ptr<LayerContext>& context)
{
    const Conv2dGeometry g = geometry(input.shape());
    Tensor output = Tensor::uninitializedLike(input, Shape{g.batch, g.outChannels, g.outHeight(), g.outWidth()});
    backend.conv2dForward(g, input.data(), weight_.value, bias_ ? bias_->value : nullptr, output.data());
    auto saved = std::make_unique<Conv2dContext>();
    saved->input = std::move(input);
    context = std::move(saved);
    return output;
}

Tensor Conv2d::backward(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<Conv2dContext>(context);
    const Conv2dGeometry g = geometry(saved.input.shape());
    Tensor gradInput;
    if (inputGradientNeeded())
        gradInput = Tensor::uninitializedLike(saved.input, saved.input.shape());
    backend.conv2dBackward(g, saved.input.data(), weight_.value, gradOutput.data(),
                           gradInput.empty() ? nullptr : gradInput.data(), weight_.grad, bias_ ? bias_->grad : nullptr);
    return gradInput;
}

Tensor Conv2d::backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<Conv2dContext>(context);
    Tensor gradInput;
    if (inputGradientNeeded()) {
        gradInput = Tensor::uninitializedLike(saved.input, saved.input.shape());
        backend.conv2dBackwardData(geometry(saved.input.shape()), weight_.value, gradOutput.data(), gradInput.data(),
                                   bias_ != nullptr);
    }
    saved.gradOutput = std::move(gradOutput);
    return gradInput;
}

void Conv2d::backwardWeights(Backend& backend, LayerContext& context)
{
    auto& saved = contextAs<Conv2dContext>(context);
    backend.conv2dBackward(geometry(saved.input.shape()), saved.input.data(), weight_.value, saved.gradOutput.data(),
                           nullptr, weight_.grad, bias_ ? bias_->grad : nullptr);
    saved.gradOutput = Tensor();
}

} // namespace lpm
