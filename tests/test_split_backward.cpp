// The backward in two halves (B: input gradients, W: weight gradients), as
// zero-bubble schedules run it: on every zoo model, B then W leaves bit for
// bit the fused backward's gradients, and B alone leaves the parameter
// gradients untouched. (Each layer is held to the same in
// test_layer_gradients, beside its finite-difference check.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "expect_error.h"
#include "nn/model_zoo.h"
#include "nn/parameter_store.h"
#include "nn/softmax_cross_entropy.h"
#include "nn/unit_passes.h"
#include "random_batch.h"
#include "tensor/error.h"

namespace lpm {
namespace {

constexpr int64_t kSamples = 4;
constexpr uint64_t kSeed = 5;

struct Gradients {
    std::vector<float> parameters; // the store's, in slot order
    Tensor input;                  // of the first unit (empty: the model's first unit needs none)
};

// One micro-batch through the whole model; the backward fused, or split into B and W.
Gradients backwardOf(Model& model, ParameterStore& store, const Tensor& images, const std::vector<int32_t>& labels,
                     bool split)
{
    CpuBackend backend(1);
    store.zeroGradients();
    const int last = model.unitCount() - 1;
    std::vector<std::unique_ptr<LayerContext>> contexts;
    Tensor logits = forwardUnits(backend, model, 0, last, images.clone(), kSeed, 0, 0, contexts);
    Tensor gradLogits = softmaxCrossEntropy(backend, logits, labels, kSamples).gradLogits;
    Gradients result;
    if (!split) {
        result.input = backwardUnits(backend, model, 0, last, std::move(gradLogits), contexts);
    } else {
        result.input = backwardInputUnits(backend, model, 0, last, std::move(gradLogits), contexts);
        const float* gradients = store.gradients();
        EXPECT_TRUE(std::all_of(gradients, gradients + store.parameterCount(), [](float g) { return g == 0.0f; }))
            << model.name() << ": B changed parameter gradients";
        backwardWeightUnits(backend, model, 0, last, contexts);
    }
    result.parameters.assign(store.gradients(), store.gradients() + store.parameterCount());
    return result;
}

TEST(SplitBackward, EveryZooModelGetsTheFusedGradientsBitForBit)
{
    for (const ZooEntry& entry : modelZoo()) {
        if (entry.large)
            continue; // real sizes: gpt-mini has their layers
        SCOPED_TRACE(entry.name);
        Model model = buildModel(entry.name);
        ParameterStore store(model);
        store.initialize(kSeed);
        const auto [images, labels] = randomBatch(model, kSamples, 11);

        const Gradients fused = backwardOf(model, store, images, labels, false);
        const Gradients split = backwardOf(model, store, images, labels, true);
        ASSERT_EQ(fused.parameters.size(), split.parameters.size());
        EXPECT_TRUE(std::any_of(fused.parameters.begin(), fused.parameters.end(), [](float g) { return g != 0.0f; }));
        EXPECT_EQ(
            0, std::memcmp(fused.parameters.data(), split.parameters.data(), sizeof(float) * fused.parameters.size()));
        ASSERT_EQ(fused.input.empty(), split.input.empty());
    }
}

// A layer with a parameter that does not split its backward (a new layer
// that forgot to): its B must refuse rather than run the fused backward.
class UnsplitScale final : public Layer {
public:
    UnsplitScale() : weight_(registerParameter("weight", Shape{1}, ParameterInit::Ones, 1)) {}
    std::string kind() const override { return "UnsplitScale"; }
    std::string describe() const override { return "x·w"; }
    Shape outputShape(const Shape& input) const override { return input; }
    UnitCost cost(const Shape&) const override { return {}; }
    Tensor forward(Backend&, Tensor input, const StepInfo&, std::unique_ptr<LayerContext>& context) override
    {
        context = std::make_unique<LayerContext>();
        return input;
    }
    Tensor backward(Backend&, Tensor gradOutput, LayerContext&) override { return gradOutput; }

private:
    ParameterSlot& weight_;
};

TEST(SplitBackward, ALayerWithParametersMustSplitItsBackward)
{
    UnsplitScale layer;
    CpuBackend backend(1);
    std::unique_ptr<LayerContext> context;
    Tensor output = layer.forward(backend, Tensor(Shape{2, 1}), StepInfo{}, context);
    expectError<InvalidArgument>([&] { layer.backwardInput(backend, std::move(output), *context); },
                                 {"UnsplitScale (x·w) has parameters but does not split its backward"});
}

TEST(SplitBackward, HalvesNeedTheForwardsContexts)
{
    Model model = buildModel("mlp");
    ParameterStore store(model);
    store.initialize(kSeed);
    CpuBackend backend(1);
    std::vector<std::unique_ptr<LayerContext>> none;
    expectError<InvalidArgument>([&] { backwardWeightUnits(backend, model, 0, model.unitCount() - 1, none); },
                                 {"without the contexts of their forward"});
}

} // namespace
} // namespace lpm
