// Layer normalisation over the last dimension: each row of C features of an
// (N, C) or (N, T, C) input is normalised by its own mean and variance
// (biased, ε = 1e-5), then scaled and shifted per feature. The same in
// training and evaluation. Parameters weight (C, init 1), bias (C, init 0).
// Keeps x and each row's mean and 1/σ for the backward.
#pragma once

#include "nn/layer.h"

namespace lpm {

class LayerNorm final : public Layer {
public:
    explicit LayerNorm(int64_t features, float epsilon = 1e-5f);

    std::string kind() const override { return "LayerNorm"; }
    std::string describe() const override { return std::to_string(features_); }
    Shape outputShape(const Shape& input) const override;
    UnitCost cost(const Shape& input) const override;
    Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                   std::unique_ptr<LayerContext>& context) override;
    Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    // B computes dx; W adds the weight and bias gradients (from the dy B keeps).
    Tensor backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    void backwardWeights(Backend& backend, LayerContext& context) override;

private:
    LayerNormGeometry geometry(const Shape& input) const;

    int64_t features_;
    float epsilon_;
    ParameterSlot& weight_;
    ParameterSlot& bias_;
};

} // namespace lpm
