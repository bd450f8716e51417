#include "nn/batch_norm2d.h"

#include "tensor/error.h"

namespace lpm {

namespace {
struct BatchNormContext : LayerContext {
    Tensor input;
    MemoryBlock statistics;         // mean (C) then inverse standard deviation (C), beside the input
    MemoryBlock parameterGradients; // γ's (C) then β's (C), from backwardInput until backwardWeights
};
} // namespace

BatchNorm2d::BatchNorm2d(const BatchNorm2dOptions& options)
    : options_(options), gamma_(registerParameter("gamma", Shape{options.channels}, ParameterInit::Ones, 1)),
      beta_(registerParameter("beta", Shape{options.channels}, ParameterInit::Zeros, 1)),
      runningMean_(registerBuffer("running_mean", Shape{options.channels}, 0.0f, options.momentum)),
      runningVar_(registerBuffer("running_var", Shape{options.channels}, 1.0f, options.momentum))
{
    if (options.channels <= 0)
        throw InvalidArgument("BatchNorm2d: channel count must be positive");
}

BatchNormGeometry BatchNorm2d::geometry(const Shape& input) const
{
    if (input.rank() != 4 || input[1] != options_.channels)
        throw InvalidArgument("BatchNorm2d " + describe() + ": expected input (N, " + std::to_string(options_.channels)
                              + ", H, W), got " + input.toString());
    BatchNormGeometry g;
    g.batch = input[0];
    g.channels = input[1];
    g.spatial = input[2] * input[3];
    g.epsilon = options_.epsilon;
    g.momentum = options_.momentum;
    return g;
}

Shape BatchNorm2d::outputShape(const Shape& input) const
{
    geometry(input);
    return input;
}

UnitCost BatchNorm2d::cost(const Shape& input) const
{
    geometry(input);
    const int64_t elements = input.sampleElementCount();
    UnitCost cost;
    cost.forwardFlops = 4.0 * double(elements);
    cost.backwardFlops = 8.0 * double(elements);
    cost.parameterBytes = int64_t(sizeof(float)) * 2 * options_.channels;
    cost.outputBytes = int64_t(sizeof(float)) * elements;
    cost.savedBytes = int64_t(sizeof(float)) * elements;
    return cost;
}

Tensor BatchNorm2d::forward(Backend& backend, Tensor input, const StepInfo& step,
                            std::unique_ptr<LayerContext>& context)
{
    const BatchNormGeometry g = geometry(input.shape());
    Tensor output = Tensor::uninitializedLike(input, input.shape());
    if (!step.training) {
        backend.batchNormForwardInference(g, input.data(), gamma_.value, beta_.value, runningMean_.value,
                                          runningVar_.value, output.data());
        return output;
    }
    auto saved = std::make_unique<BatchNormContext>();
    // (mean, inverse std) of the batch; a recomputation also gets room for
    // running statistics it updates and throws away, so that the layer's
    // are updated once per micro-batch.
    const int64_t vectors = step.recompute ? 4 : 2;
    saved->statistics = MemoryBlock(input.space(), int64_t(sizeof(float)) * vectors * g.channels);
    float* mean = saved->statistics.as<float>();
    float* runningMean = runningMean_.value;
    float* runningVar = runningVar_.value;
    if (step.recompute) {
        runningMean = mean + 2 * g.channels;
        runningVar = mean + 3 * g.channels;
        input.space().copyWithin(runningMean, runningMean_.value, int64_t(sizeof(float)) * g.channels);
        input.space().copyWithin(runningVar, runningVar_.value, int64_t(sizeof(float)) * g.channels);
    }
    backend.batchNormForwardTraining(g, input.data(), gamma_.value, beta_.value, output.data(), mean, mean + g.channels,
                                     runningMean, runningVar);
    saved->input = std::move(input);
    context = std::move(saved);
    return output;
}

Tensor BatchNorm2d::backward(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<BatchNormContext>(context);
    const BatchNormGeometry g = geometry(saved.input.shape());
    Tensor gradInput = Tensor::uninitializedLike(saved.input, saved.input.shape());
    const float* mean = saved.statistics.as<float>();
    backend.batchNormBackward(g, saved.input.data(), gamma_.value, mean, mean + g.channels, gradOutput.data(),
                              gradInput.data(), gamma_.grad, beta_.grad);
    return gradInput;
}

Tensor BatchNorm2d::backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<BatchNormContext>(context);
    const BatchNormGeometry g = geometry(saved.input.shape());
    Tensor gradInput = Tensor::uninitializedLike(saved.input, saved.input.shape());
    // The backend adds each channel's sum once to what the gradients hold:
    // into zeros here, and W adds the result, as the fused backward adds it.
    saved.parameterGradients = MemoryBlock(saved.input.space(), int64_t(sizeof(float)) * 2 * g.channels);
    backend.zeroBytes(saved.parameterGradients.data(), saved.parameterGradients.bytes());
    float* gradients = saved.parameterGradients.as<float>();
    const float* mean = saved.statistics.as<float>();
    backend.batchNormBackward(g, saved.input.data(), gamma_.value, mean, mean + g.channels, gradOutput.data(),
                              gradInput.data(), gradients, gradients + g.channels);
    return gradInput;
}

void BatchNorm2d::backwardWeights(Backend& backend, LayerContext& context)
{
    auto& saved = contextAs<BatchNormContext>(context);
    const int64_t channels = options_.channels;
    const float* gradients = saved.parameterGradients.as<float>();
    backend.addInPlace(channels, gradients, gamma_.grad);
    backend.addInPlace(channels, gradients + channels, beta_.grad);
    saved.parameterGradients = MemoryBlock();
}

} // namespace lpm
