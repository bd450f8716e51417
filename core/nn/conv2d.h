// 2-D convolution: y (N, out, Ho, Wo) from x (N, in, H, W) with square kernel,
// stride and zero padding; Ho = (H + 2·pad − k)/stride + 1.
// weight (out, in, k, k), bias (out) unless disabled (when BatchNorm follows).
// Keeps x for backward.
#pragma once

#include "nn/layer.h"

namespace lpm {

struct Conv2dOptions {
    int64_t inChannels = 0;
    int64_t outChannels = 0;
    int64_t kernel = 3;
    int64_t stride = 1;
    int64_t padding = 0;
    bool bias = true;
};

class Conv2d final : public Layer {
public:
    explicit Conv2d(const Conv2dOptions& options);

    std::string kind() const override { return "Conv2d"; }
    std::string describe() const override;
    Shape outputShape(const Shape& input) const override;
    UnitCost cost(const Shape& input) const override;
    Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                   std::unique_ptr<LayerContext>& context) override;
    Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    Tensor backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    void backwardWeights(Backend& backend, LayerContext& context) override;

private:
    Conv2dGeometry geometry(const Shape& input) const;

    Conv2dOptions options_;
    ParameterSlot& weight_;
    ParameterSlot* bias_ = nullptr;
};

} // namespace lpm
