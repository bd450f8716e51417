// Average pooling over (N, C, H, W) with a square window (floor mode), or, with
// `global`, over the whole (square) plane to (N, C, 1, 1). Keeps only the input shape.
#pragma once

#include "nn/layer.h"

namespace lpm {

struct AvgPool2dOptions {
    int64_t kernel = 2;
    int64_t stride = 2;
    bool global = false; // kernel = stride = H = W of the input
};

class AvgPool2d final : public Layer {
public:
    explicit AvgPool2d(const AvgPool2dOptions& options);

    std::string kind() const override { return options_.global ? "GlobalAvgPool" : "AvgPool2d"; }
    std::string describe() const override;
    Shape outputShape(const Shape& input) const override;
    UnitCost cost(const Shape& input) const override;
    Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                   std::unique_ptr<LayerContext>& context) override;
    Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) override;

private:
    Pool2dGeometry geometry(const Shape& input) const;
    AvgPool2dOptions options_;
};

} // namespace lpm
