#include "layer_test_support.h"

#include <algorithm>
#include <cstring>

namespace lpm::testing {

namespace {
// L(x) = Σ forward(x) ⊙ r, in double.
double projectedLoss(Layer& layer, CpuBackend& backend, const Tensor& input, const Tensor& r, const StepInfo& step)
{
    std::unique_ptr<LayerContext> context;
    Tensor output = layer.forward(backend, input.clone(), step, context);
    double sum = 0.0;
    for (int64_t i = 0; i < output.elementCount(); ++i)
        sum += double(output[i]) * double(r[i]);
    return sum;
}

// Probed coordinates: all when few, else an even spread including both ends.
std::vector<int64_t> probeIndices(int64_t count, int maxCoordinates)
{
    std::vector<int64_t> indices;
    if (count <= maxCoordinates) {
        for (int64_t i = 0; i < count; ++i)
            indices.push_back(i);
        return indices;
    }
    for (int k = 0; k < maxCoordinates; ++k)
        indices.push_back(k * (count - 1) / (maxCoordinates - 1));
    return indices;
}

bool close(double numeric, double analytic, const GradientCheckOptions& options)
{
    return std::abs(analytic - numeric) <= options.absoluteTolerance + options.relativeTolerance * std::abs(numeric);
}

// f(x − h), f(x), f(x + h) of one coordinate against the analytic derivative.
void expectDerivative(double minus, double centre, double plus, double analytic, const GradientCheckOptions& options,
                      const std::string& what, int64_t index)
{
    const double h = options.epsilon;
    const double central = (plus - minus) / (2.0 * h);
    if (close(central, analytic, options))
        return;
    if (options.allowKinks
        && (close((plus - centre) / h, analytic, options) || close((centre - minus) / h, analytic, options)))
        return;
    ADD_FAILURE() << what << " coordinate " << index << ": analytic " << analytic << ", central difference " << central
                  << ", one-sided " << (centre - minus) / h << " / " << (plus - centre) / h;
}

// The split backward (B, then W) leaves bit for bit the fused backward's
// gradients, and B alone leaves the parameter gradients untouched; so the
// finite-difference checks of the fused backward cover both halves.
void expectSplitBackwardMatches(Layer& layer, Backend& backend, const Tensor& input, const Tensor& gradOutput,
                                const StepInfo& step, const Tensor& fusedGradInput, BoundLayer& bound)
{
    std::vector<std::vector<float>> fused;
    for (ParameterSlot* slot : bound.parameters())
        fused.emplace_back(slot->grad, slot->grad + slot->shape.elementCount());
    bound.zeroGrads();
    std::unique_ptr<LayerContext> context;
    layer.forward(backend, input.clone(), step, context);
    const Tensor gradInput = layer.backwardInput(backend, gradOutput.clone(), *context);
    for (ParameterSlot* slot : bound.parameters())
        EXPECT_TRUE(std::all_of(slot->grad, slot->grad + slot->shape.elementCount(), [](float g) { return g == 0.0f; }))
            << layer.kind() << ": backwardInput changed the gradient of " << slot->name;
    layer.backwardWeights(backend, *context);
    ASSERT_EQ(gradInput.shape(), fusedGradInput.shape());
    EXPECT_EQ(0, std::memcmp(gradInput.data(), fusedGradInput.data(), sizeof(float) * size_t(gradInput.elementCount())))
        << layer.kind() << ": the split backward's input gradient differs from the fused one";
    for (size_t p = 0; p < fused.size(); ++p) {
        const ParameterSlot& slot = *bound.parameters()[p];
        EXPECT_EQ(0, std::memcmp(slot.grad, fused[p].data(), sizeof(float) * fused[p].size()))
            << layer.kind() << ": the split backward's gradient of " << slot.name << " differs from the fused one";
    }
}

} // namespace

void checkLayerGradients(Layer& layer, const Tensor& input, const GradientCheckOptions& options)
{
    CpuBackend backend(1);
    BoundLayer bound(layer);
    std::unique_ptr<LayerContext> context;
    Tensor output = layer.forward(backend, input.clone(), options.step, context);
    const Tensor r = randomTensor(output.shape(), 99);
    Tensor gradInput = layer.backward(backend, r.clone(), *context);
    ASSERT_EQ(gradInput.shape(), input.shape());
    expectSplitBackwardMatches(layer, backend, input, r, options.step, gradInput, bound);

    const double h = options.epsilon;
    const double centre = projectedLoss(layer, backend, input, r, options.step);
    Tensor probe = input.clone();
    const int64_t probedInputs = options.probeInput ? input.elementCount() : 0;
    for (int64_t i : probeIndices(probedInputs, options.maxCoordinates)) {
        const float saved = probe[i];
        probe[i] = saved + float(h);
        const double plus = projectedLoss(layer, backend, probe, r, options.step);
        probe[i] = saved - float(h);
        const double minus = projectedLoss(layer, backend, probe, r, options.step);
        probe[i] = saved;
        expectDerivative(minus, centre, plus, gradInput[i], options, "input", i);
    }
    for (ParameterSlot* slot : bound.parameters()) {
        for (int64_t i : probeIndices(slot->shape.elementCount(), options.maxCoordinates)) {
            const float saved = slot->value[i];
            slot->value[i] = saved + float(h);
            const double plus = projectedLoss(layer, backend, input, r, options.step);
            slot->value[i] = saved - float(h);
            const double minus = projectedLoss(layer, backend, input, r, options.step);
            slot->value[i] = saved;
            expectDerivative(minus, centre, plus, slot->grad[i], options, slot->name, i);
        }
    }
}

} // namespace lpm::testing
