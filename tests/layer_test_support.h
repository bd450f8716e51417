// Helpers for layer tests: bind a lone layer's parameters to owned storage,
// fill tensors with seeded values, and check gradients by central differences.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "nn/layer.h"
#include "tensor/random.h"

namespace lpm::testing {

// Owns the parameter, gradient and buffer storage of one layer.
class BoundLayer {
public:
    explicit BoundLayer(Layer& layer, uint64_t seed = 7) : layer_(layer)
    {
        layer.collectParameters("", parameters_);
        layer.collectBuffers("", buffers_);
        RandomStream stream(seed);
        for (ParameterSlot* slot : parameters_) {
            const auto count = size_t(slot->shape.elementCount());
            values_.emplace_back(count);
            grads_.emplace_back(count, 0.0f);
            for (float& v : values_.back())
                v = 0.5f * stream.nextNormal();
            slot->value = values_.back().data();
            slot->grad = grads_.back().data();
        }
        for (BufferSlot* slot : buffers_) {
            bufferValues_.emplace_back(size_t(slot->shape.elementCount()), slot->initialValue);
            slot->value = bufferValues_.back().data();
        }
    }
    std::vector<ParameterSlot*>& parameters() { return parameters_; }
    std::vector<BufferSlot*>& buffers() { return buffers_; }
    void zeroGrads()
    {
        for (auto& g : grads_)
            std::fill(g.begin(), g.end(), 0.0f);
    }

private:
    Layer& layer_;
    std::vector<ParameterSlot*> parameters_;
    std::vector<BufferSlot*> buffers_;
    std::vector<std::vector<float>> values_, grads_, bufferValues_;
};

inline Tensor randomTensor(const Shape& shape, uint64_t seed, float scale = 1.0f)
{
    Tensor tensor(shape);
    RandomStream stream(seed);
    for (float& v : tensor.values())
        v = scale * stream.nextNormal();
    return tensor;
}

inline Tensor tensorOf(const Shape& shape, std::initializer_list<float> values)
{
    Tensor tensor(shape);
    EXPECT_EQ(int64_t(values.size()), tensor.elementCount());
    std::copy(values.begin(), values.end(), tensor.data());
    return tensor;
}

struct GradientCheckOptions {
    float epsilon = 1e-2f;
    float absoluteTolerance = 2e-3f;
    float relativeTolerance = 2e-2f;
    int maxCoordinates = 48; // coordinates probed per tensor
    // For layers with ReLUs inside whose pre-activations cannot be kept away
    // from zero (residual blocks): when ±ε crosses a kink the central difference
    // averages two slopes, so a coordinate also passes when the analytic value
    // matches the one-sided difference on either side (that side has no kink).
    bool allowKinks = false;
    // False for inputs that are not differentiable (token ids): only the
    // parameter gradients are probed.
    bool probeInput = true;
    StepInfo step{true, 12345, 0};
};

// Checks a layer's input gradient and every parameter gradient against central
// differences of L = Σ y ⊙ r for a fixed random r. `input` is not modified.
void checkLayerGradients(Layer& layer, const Tensor& input, const GradientCheckOptions& options = {});

} // namespace lpm::testing
