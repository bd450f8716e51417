// Flattens (N, C, H, W) to (N, C·H·W) without copying; backward restores the shape.
#pragma once

#include "nn/layer.h"

namespace lpm {

class Flatten final : public Layer {
public:
    std::string kind() const override { return "Flatten"; }
    std::string describe() const override { return ""; }
    Shape outputShape(const Shape& input) const override;
    UnitCost cost(const Shape& input) const override;
    Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                   std::unique_ptr<LayerContext>& context) override;
    Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) override;
};

} // namespace lpm
