// GELU activation, the tanh approximation GPT-2 uses (Backend::geluForward),
// elementwise on any shape. Keeps x for the backward.
#pragma once

#include "nn/layer.h"

namespace lpm {

class Gelu final : public Layer {
public:
    std::string kind() const override { return "GELU"; }
    std::string describe() const override { return "tanh approximation"; }
    Shape outputShape(const Shape& input) const override { return input; }
    UnitCost cost(const Shape& input) const override;
    Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                   std::unique_ptr<LayerContext>& context) override;
    Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) override;
};

} // namespace lpm
