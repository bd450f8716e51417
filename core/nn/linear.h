// Fully connected layer: y (N, out) = x (N, in) · Wᵀ + b, or on every position
// of a sequence, y (N, T, out) from x (N, T, in): the leading extents are rows.
// weight (out, in), bias (out). Keeps x for backward.
#pragma once

#include "nn/layer.h"

namespace lpm {

struct LinearOptions {
    int64_t inFeatures = 0;
    int64_t outFeatures = 0;
    bool bias = true;
};

class Linear final : public Layer {
public:
    explicit Linear(const LinearOptions& options);

    std::string kind() const override { return "Linear"; }
    std::string describe() const override;
    Shape outputShape(const Shape& input) const override;
    UnitCost cost(const Shape& input) const override;
    Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                   std::unique_ptr<LayerContext>& context) override;
    Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    Tensor backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    void backwardWeights(Backend& backend, LayerContext& context) override;

    // The input x that a forward of a Linear kept in `context`, until its
    // backward (or, split, its W) is done: for a unit built around a Linear
    // that needs the same values, so that they are kept once.
    static const Tensor& keptInput(const LayerContext& context);

private:
    // dW += dyᵀ · x, db += Σ_rows dy.
    void addParameterGradients(Backend& backend, const Tensor& input, const Tensor& gradOutput);
    // dx = dy · W, or an empty tensor when no input gradient is needed.
    Tensor inputGradient(Backend& backend, const Tensor& input, const Tensor& gradOutput) const;

    LinearOptions options_;
    ParameterSlot& weight_;
    ParameterSlot* bias_ = nullptr;
};

} // namespace lpm
