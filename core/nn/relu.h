// Rectified linear unit, any shape: y = max(x, 0). Training keeps x for
// backward (x > 0 exactly where y > 0) and writes y to a new tensor, so that
// nothing is copied; inference works in place.
#pragma once

#include "nn/layer.h"

namespace lpm {

class Relu final : public Layer {
public:
    std::string kind() const override { return "ReLU"; }
    std::string describe() const override { return ""; }
    Shape outputShape(const Shape& input) const override { return input; }
    UnitCost cost(const Shape& input) const override;
    Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                   std::unique_ptr<LayerContext>& context) override;
    Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) override;
};

} // namespace lpm
