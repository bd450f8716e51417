// Max pooling over (N, C, H, W) with a square window (floor mode, no padding).
// Keeps the argmax of every output (int32 index within its plane) for backward.
#pragma once

#include "nn/layer.h"

namespace lpm {

struct MaxPool2dOptions {
    int64_t kernel = 2;
    int64_t stride = 2;
};

class MaxPool2d final : public Layer {
public:
    explicit MaxPool2d(const MaxPool2dOptions& options);

    std::string kind() const override { return "MaxPool2d"; }
    std::string describe() const override;
    Shape outputShape(const Shape& input) const override;
    UnitCost cost(const Shape& input) const override;
    Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                   std::unique_ptr<LayerContext>& context) override;
    Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) override;

private:
    Pool2dGeometry geometry(const Shape& input) const;
    MaxPool2dOptions options_;
};

// Checks a pooling input and returns its geometry (shared by max and average pooling).
Pool2dGeometry poolGeometry(const std::string& layer, const Shape& input, int64_t kernel, int64_t stride);

} // namespace lpm
