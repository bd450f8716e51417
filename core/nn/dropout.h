// Inverted dropout, any shape: in training each element is kept with
// probability 1 − p and scaled by 1/(1 − p); evaluation is the identity.
// The mask is a pure function of StepInfo::randomKey and the element's index in
// the mini-batch, so every schedule and micro-batch split draws the same mask.
// Keeps the mask (scale or 0 per element) for backward.
#pragma once

#include "nn/layer.h"

namespace lpm {

struct DropoutOptions {
    float probability = 0.5f; // of dropping, in [0, 1)
};

class Dropout final : public Layer {
public:
    explicit Dropout(const DropoutOptions& options);

    std::string kind() const override { return "Dropout"; }
    std::string describe() const override;
    Shape outputShape(const Shape& input) const override { return input; }
    UnitCost cost(const Shape& input) const override;
    Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                   std::unique_ptr<LayerContext>& context) override;
    Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) override;

private:
    DropoutOptions options_;
};

} // namespace lpm
