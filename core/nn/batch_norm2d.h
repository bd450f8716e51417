// Batch normalisation over (N, C, H, W), statistics per channel over N·H·W.
// Training: normalise with the micro-batch's statistics and update the running
// ones; evaluation: normalise with the running ones.
// Parameters gamma (C, init 1), beta (C, init 0); buffers running_mean (C, 0),
// running_var (C, 1). Keeps x, the batch mean and 1/σ (C each) for backward.
#pragma once

#include "nn/layer.h"

namespace lpm {

struct BatchNorm2dOptions {
    int64_t channels = 0;
    float epsilon = 1e-5f;
    float momentum = 0.1f;
};

class BatchNorm2d final : public Layer {
public:
    explicit BatchNorm2d(const BatchNorm2dOptions& options);

    std::string kind() const override { return "BatchNorm2d"; }
    std::string describe() const override { return std::to_string(options_.channels); }
    Shape outputShape(const Shape& input) const override;
    UnitCost cost(const Shape& input) const override;
    Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                   std::unique_ptr<LayerContext>& context) override;
    Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    // B computes γ's and β's gradients (the sums dx needs) into the context;
    // W adds them to the parameters' gradients.
    Tensor backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    void backwardWeights(Backend& backend, LayerContext& context) override;

private:
    BatchNormGeometry geometry(const Shape& input) const;

    BatchNorm2dOptions options_;
    ParameterSlot& gamma_;
    ParameterSlot& beta_;
    BufferSlot& runningMean_;
    BufferSlot& runningVar_;
};

} // namespace lpm
