// A residual block as one unit (one tensor in, one out, so a cut may fall on
// either side of it but never inside):
//   main:     conv3x3(stride s, no bias) → BN → ReLU → conv3x3(no bias) → BN
//   shortcut: identity when in == out and s == 1, else conv1x1(stride s, no bias) → BN
//   y = ReLU(main + shortcut)
// Input (N, in, H, W) → output (N, out, H/s, W/s). Parameters are named after
// the parts: conv1.weight, bn1.gamma, ..., shortcut_conv.weight, shortcut_bn.beta.
#pragma once

#include <optional>

#include "nn/batch_norm2d.h"
#include "nn/conv2d.h"
#include "nn/relu.h"

namespace lpm {

struct ResidualBlockOptions {
    int64_t inChannels = 0;
    int64_t outChannels = 0;
    int64_t stride = 1;
};

class ResidualBlock final : public Layer {
public:
    explicit ResidualBlock(const ResidualBlockOptions& options);

    std::string kind() const override { return "ResidualBlock"; }
    std::string describe() const override;
    Shape outputShape(const Shape& input) const override;
    UnitCost cost(const Shape& input) const override;
    Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                   std::unique_ptr<LayerContext>& context) override;
    Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    // B runs every part's B, W every part's W.
    Tensor backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    void backwardWeights(Backend& backend, LayerContext& context) override;

    void collectParameters(const std::string& prefix, std::vector<ParameterSlot*>& out) override;
    void collectBuffers(const std::string& prefix, std::vector<BufferSlot*>& out) override;

private:
    bool hasProjection() const { return shortcutConv_.has_value(); }
    // The input gradient through every part, each part's backward being
    // `partBackward(layer, gradOutput, context)` (its fused backward, or its B).
    template <typename PartBackward>
    Tensor inputGradient(Backend& backend, Tensor gradOutput, LayerContext& context, PartBackward&& partBackward);

    ResidualBlockOptions options_;
    Conv2d conv1_;
    BatchNorm2d bn1_;
    Relu relu1_;
    Conv2d conv2_;
    BatchNorm2d bn2_;
    std::optional<Conv2d> shortcutConv_;
    std::optional<BatchNorm2d> shortcutBn_;
    Relu reluOut_;
};

} // namespace lpm
