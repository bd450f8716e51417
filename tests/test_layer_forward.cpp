// Small hand-computed forward results for every layer, and the input checks.
#include <gtest/gtest.h>

#include <cmath>

#include "layer_test_support.h"
#include "nn/avg_pool2d.h"
#include "nn/batch_norm2d.h"
#include "nn/conv2d.h"
#include "nn/dropout.h"
#include "nn/flatten.h"
#include "nn/linear.h"
#include "nn/max_pool2d.h"
#include "nn/relu.h"
#include "nn/residual_block.h"
#include "nn/softmax_cross_entropy.h"
#include "tensor/error.h"

namespace lpm {
namespace {

using testing::BoundLayer;
using testing::tensorOf;

Tensor runForward(Layer& layer, Tensor input, StepInfo step = {true, 1, 0})
{
    CpuBackend backend(1);
    std::unique_ptr<LayerContext> context;
    return layer.forward(backend, std::move(input), step, context);
}

void expectValues(const Tensor& tensor, std::initializer_list<float> expected, float tolerance = 1e-5f)
{
    ASSERT_EQ(int64_t(expected.size()), tensor.elementCount());
    int64_t i = 0;
    for (float value : expected) {
        EXPECT_NEAR(tensor[i], value, tolerance) << "element " << i;
        ++i;
    }
}

void setValues(ParameterSlot* slot, std::initializer_list<float> values)
{
    std::copy(values.begin(), values.end(), slot->value);
}

TEST(LayerForward, Linear)
{
    Linear layer({3, 2, true});
    BoundLayer bound(layer);
    setValues(bound.parameters()[0], {1, 2, 3, -1, 0, 1}); // W (2, 3)
    setValues(bound.parameters()[1], {0.5f, -0.5f});
    // x = [1, 1, 1], [2, 0, -1] → [6.5, -0.5], [-0.5, -3.5]
    expectValues(runForward(layer, tensorOf(Shape{2, 3}, {1, 1, 1, 2, 0, -1})), {6.5f, -0.5f, -0.5f, -3.5f});
}

TEST(LayerForward, Conv2dTwoByTwo)
{
    Conv2d layer({1, 1, 2, 1, 0, true});
    BoundLayer bound(layer);
    setValues(bound.parameters()[0], {1, 0, 0, -1}); // x[i][j] − x[i+1][j+1]
    setValues(bound.parameters()[1], {10});
    const Tensor x = tensorOf(Shape{1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
    expectValues(runForward(layer, x.clone()), {6, 6, 6, 6});
}

TEST(LayerForward, Conv2dPaddingAndStride)
{
    Conv2d layer({1, 1, 3, 2, 1, false});
    BoundLayer bound(layer);
    setValues(bound.parameters()[0], {1, 1, 1, 1, 1, 1, 1, 1, 1}); // 3x3 box sum
    const Tensor x = tensorOf(Shape{1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
    // Output 2x2 at centres (0,0), (0,2), (2,0), (2,2) with zero padding.
    expectValues(runForward(layer, x.clone()), {12, 16, 24, 28});
}

TEST(LayerForward, ReluAndFlatten)
{
    Relu relu;
    Tensor y = runForward(relu, tensorOf(Shape{1, 1, 2, 2}, {-1, 2, 0, -3}));
    expectValues(y, {0, 2, 0, 0});
    Flatten flatten;
    EXPECT_EQ(runForward(flatten, std::move(y)).shape(), (Shape{1, 4}));
}

TEST(LayerForward, MaxAndAveragePooling)
{
    const std::initializer_list<float> x = {1, 5, 2, 0, 3, 4, 8, 1, 0, 0, 1, 1, 9, 2, 3, 6};
    MaxPool2d maxPool({2, 2});
    expectValues(runForward(maxPool, tensorOf(Shape{1, 1, 4, 4}, x)), {5, 8, 9, 6});
    AvgPool2d avgPool({2, 2, false});
    expectValues(runForward(avgPool, tensorOf(Shape{1, 1, 4, 4}, x)), {3.25f, 2.75f, 2.75f, 2.75f});
    AvgPool2d global({0, 0, true});
    expectValues(runForward(global, tensorOf(Shape{1, 1, 4, 4}, x)), {2.875f});
}

TEST(LayerForward, BatchNormTrainingAndEvaluation)
{
    BatchNorm2d layer({1});
    BoundLayer bound(layer);
    setValues(bound.parameters()[0], {2}); // gamma
    setValues(bound.parameters()[1], {1}); // beta
    // x = 1, 2, 3, 4: mean 2.5, variance 1.25 → x̂ = ±1.3416, ±0.4472
    const float s = 1.0f / std::sqrt(1.25f + 1e-5f);
    expectValues(runForward(layer, tensorOf(Shape{2, 1, 1, 2}, {1, 2, 3, 4})), {1 - 3 * s, 1 - s, 1 + s, 1 + 3 * s});
    // running mean 0.1·2.5, running variance 0.9 + 0.1·(5/3) (unbiased)
    EXPECT_NEAR(bound.buffers()[0]->value[0], 0.25f, 1e-6f);
    EXPECT_NEAR(bound.buffers()[1]->value[0], 0.9f + 0.1f * 5.0f / 3.0f, 1e-6f);
    const float scale = 2.0f / std::sqrt(bound.buffers()[1]->value[0] + 1e-5f);
    expectValues(runForward(layer, tensorOf(Shape{1, 1, 1, 1}, {1}), {false, 0, 0}), {1 + (1 - 0.25f) * scale});
}

TEST(LayerForward, DropoutKeepsExpectedFractionAndIsKeyed)
{
    Dropout layer({0.25f});
    Tensor ones(Shape{4, 1000});
    ones.fill(1.0f);
    const Tensor y = runForward(layer, ones.clone(), {true, 42, 0});
    int64_t kept = 0;
    for (float v : y.values()) {
        ASSERT_TRUE(v == 0.0f || std::abs(v - 1.0f / 0.75f) < 1e-6f);
        kept += v != 0.0f;
    }
    EXPECT_NEAR(double(kept) / 4000.0, 0.75, 0.03);
    // Same key, same mask; another key, another mask.
    const Tensor again = runForward(layer, ones.clone(), {true, 42, 0});
    const Tensor other = runForward(layer, ones.clone(), {true, 43, 0});
    EXPECT_TRUE(std::equal(y.data(), y.data() + 4000, again.data()));
    EXPECT_FALSE(std::equal(y.data(), y.data() + 4000, other.data()));
    // A micro-batch of samples 2..3 draws what the whole batch drew for them.
    Tensor half(Shape{2, 1000});
    half.fill(1.0f);
    const Tensor tail = runForward(layer, std::move(half), {true, 42, 2});
    EXPECT_TRUE(std::equal(tail.data(), tail.data() + 2000, y.data() + 2000));
    // Evaluation is the identity.
    expectValues(runForward(layer, tensorOf(Shape{1, 3}, {1, 2, 3}), {false, 42, 0}), {1, 2, 3});
}

TEST(LayerForward, ResidualIdentityBlockAddsItsInput)
{
    ResidualBlock block({2, 2, 1});
    BoundLayer bound(block);
    for (ParameterSlot* slot : bound.parameters()) // zero gammas: the main path gives beta = 0
        if (slot->localName == "gamma" || slot->localName == "beta")
            std::fill_n(slot->value, slot->shape.elementCount(), 0.0f);
    const Tensor x = testing::randomTensor(Shape{2, 2, 4, 4}, 3);
    const Tensor y = runForward(block, x.clone());
    for (int64_t i = 0; i < x.elementCount(); ++i)
        EXPECT_FLOAT_EQ(y[i], std::max(x[i], 0.0f));
}

TEST(LayerForward, SoftmaxCrossEntropyValue)
{
    CpuBackend backend(1);
    const Tensor logits = tensorOf(Shape{2, 3}, {1, 2, 3, 0, 0, 0});
    const std::vector<int32_t> labels = {2, 1};
    const LossResult result = softmaxCrossEntropy(backend, logits, labels, 2);
    const double first = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0;
    EXPECT_NEAR(result.lossSum, first + std::log(3.0), 1e-6);
    EXPECT_EQ(result.correct, 1); // row 2 ties: the first maximum (class 0) is predicted
}

TEST(LayerForward, ShapeErrorsNameTheLayerAndTheShape)
{
    Linear linear({4, 2, true});
    EXPECT_THROW(
        {
            try {
                linear.outputShape(Shape{3, 5});
            } catch (const InvalidArgument& error) {
                EXPECT_NE(std::string(error.what()).find("(3, 5)"), std::string::npos);
                EXPECT_NE(std::string(error.what()).find("Linear"), std::string::npos);
                throw;
            }
        },
        InvalidArgument);
    Conv2d conv({3, 8, 3, 1, 1, true});
    EXPECT_THROW(conv.outputShape(Shape{1, 1, 28, 28}), InvalidArgument);
    MaxPool2d pool({2, 2});
    EXPECT_THROW(pool.outputShape(Shape{1, 1, 1, 1}), InvalidArgument);
    CpuBackend backend(1);
    const std::vector<int32_t> badLabel = {7};
    EXPECT_THROW(softmaxCrossEntropy(backend, Tensor(Shape{1, 3}), badLabel, 1), InvalidArgument);
}

} // namespace
} // namespace lpm
