// Finite-difference gradient checks for every layer's backward (input and
// parameter gradients), and for the loss.
#include <gtest/gtest.h>

#include <algorithm>

#include "layer_test_support.h"
#include "nn/avg_pool2d.h"
#include "nn/batch_norm2d.h"
#include "nn/conv2d.h"
#include "nn/dropout.h"
#include "nn/flatten.h"
#include "nn/language_model_head.h"
#include "nn/linear.h"
#include "nn/max_pool2d.h"
#include "nn/relu.h"
#include "nn/residual_block.h"
#include "nn/softmax_cross_entropy.h"
#include "nn/token_embedding.h"
#include "nn/transformer_block.h"

namespace lpm {
namespace {

using testing::checkLayerGradients;
using testing::GradientCheckOptions;
using testing::randomTensor;

// Values at least `margin` away from zero, so ±ε never crosses ReLU's kink.
Tensor awayFromZero(const Shape& shape, uint64_t seed, float margin = 0.1f)
{
    Tensor tensor = randomTensor(shape, seed);
    for (float& v : tensor.values())
        v = v >= 0.0f ? v + margin : v - margin;
    return tensor;
}

// Distinct values 0.05 apart in shuffled order, so ±ε never changes a maximum.
Tensor distinctValues(const Shape& shape, uint64_t seed)
{
    Tensor tensor(shape);
    RandomStream stream(seed);
    for (int64_t i = 0; i < tensor.elementCount(); ++i)
        tensor[i] = 0.05f * float(i) - 1.0f;
    for (int64_t i = tensor.elementCount() - 1; i > 0; --i)
        std::swap(tensor[i], tensor[int64_t(stream.nextBelow(uint64_t(i + 1)))]);
    return tensor;
}

TEST(LayerGradients, Linear)
{
    Linear layer({5, 4, true});
    checkLayerGradients(layer, randomTensor(Shape{3, 5}, 1));
}

TEST(LayerGradients, LinearWithoutBias)
{
    Linear layer({6, 3, false});
    checkLayerGradients(layer, randomTensor(Shape{2, 6}, 2));
}

TEST(LayerGradients, Conv2dStride1Padding1)
{
    Conv2d layer({2, 3, 3, 1, 1, true});
    checkLayerGradients(layer, randomTensor(Shape{2, 2, 5, 5}, 3));
}

TEST(LayerGradients, Conv2dStride2NoBias)
{
    Conv2d layer({3, 4, 3, 2, 1, false});
    checkLayerGradients(layer, randomTensor(Shape{2, 3, 7, 6}, 4));
}

TEST(LayerGradients, Conv2dFiveByFiveNoPadding)
{
    Conv2d layer({1, 2, 5, 1, 0, true});
    checkLayerGradients(layer, randomTensor(Shape{1, 1, 8, 8}, 5));
}

TEST(LayerGradients, Conv2dOneByOneStride2)
{
    Conv2d layer({4, 2, 1, 2, 0, false});
    checkLayerGradients(layer, randomTensor(Shape{2, 4, 6, 6}, 6));
}

TEST(LayerGradients, Relu)
{
    Relu layer;
    checkLayerGradients(layer, awayFromZero(Shape{2, 3, 4, 4}, 7));
}

TEST(LayerGradients, MaxPool2d)
{
    MaxPool2d layer({2, 2});
    checkLayerGradients(layer, distinctValues(Shape{2, 2, 6, 7}, 8));
}

TEST(LayerGradients, MaxPool2dOverlapping)
{
    MaxPool2d layer({3, 2});
    checkLayerGradients(layer, distinctValues(Shape{1, 2, 7, 7}, 9));
}

TEST(LayerGradients, AvgPool2d)
{
    AvgPool2d layer({2, 2, false});
    checkLayerGradients(layer, randomTensor(Shape{2, 3, 6, 6}, 10));
}

TEST(LayerGradients, GlobalAvgPool)
{
    AvgPool2d layer({0, 0, true});
    checkLayerGradients(layer, randomTensor(Shape{3, 4, 5, 5}, 11));
}

TEST(LayerGradients, BatchNorm2dTraining)
{
    BatchNorm2d layer({3});
    checkLayerGradients(layer, randomTensor(Shape{4, 3, 3, 3}, 12, 2.0f));
}

TEST(LayerGradients, Flatten)
{
    Flatten layer;
    checkLayerGradients(layer, randomTensor(Shape{2, 3, 2, 2}, 13));
}

TEST(LayerGradients, DropoutTraining)
{
    Dropout layer({0.4f});
    checkLayerGradients(layer, randomTensor(Shape{4, 10}, 14));
}

TEST(LayerGradients, ResidualBlockIdentity)
{
    ResidualBlock layer({3, 3, 1});
    GradientCheckOptions options;
    options.epsilon = 2e-3f;
    options.absoluteTolerance = 5e-3f;
    options.allowKinks = true;
    checkLayerGradients(layer, randomTensor(Shape{3, 3, 5, 5}, 15), options);
}

TEST(LayerGradients, ResidualBlockProjection)
{
    ResidualBlock layer({2, 4, 2});
    GradientCheckOptions options;
    options.epsilon = 2e-3f;
    options.absoluteTolerance = 5e-3f;
    options.allowKinks = true;
    checkLayerGradients(layer, randomTensor(Shape{3, 2, 6, 6}, 16), options);
}

TEST(LayerGradients, LinearOnSequences)
{
    Linear layer({5, 3, true});
    checkLayerGradients(layer, randomTensor(Shape{2, 4, 5}, 18));
}

TEST(LayerGradients, LayerNorm)
{
    LayerNorm layer(6);
    checkLayerGradients(layer, randomTensor(Shape{2, 3, 6}, 19, 2.0f));
}

TEST(LayerGradients, Gelu)
{
    Gelu layer;
    checkLayerGradients(layer, randomTensor(Shape{3, 4, 5}, 20, 2.0f));
}

TEST(LayerGradients, TokenEmbedding)
{
    TokenEmbedding layer({7, 5, 4});
    Tensor ids(Shape{3, 4});
    RandomStream stream(21);
    for (float& id : ids.values())
        id = float(stream.nextBelow(7)); // repeats, so the scatter sums rows
    GradientCheckOptions options;
    options.probeInput = false; // ids have no gradient
    options.maxCoordinates = 200;
    checkLayerGradients(layer, ids, options);
}

TEST(LayerGradients, CausalSelfAttention)
{
    CausalSelfAttention layer({8, 2});
    GradientCheckOptions options;
    options.epsilon = 3e-3f;
    checkLayerGradients(layer, randomTensor(Shape{2, 5, 8}, 22, 0.5f), options);
}

TEST(LayerGradients, TransformerBlock)
{
    TransformerBlock layer({8, 2});
    GradientCheckOptions options;
    options.epsilon = 3e-3f;
    options.absoluteTolerance = 5e-3f;
    checkLayerGradients(layer, randomTensor(Shape{2, 4, 8}, 23), options);
}

TEST(LayerGradients, LanguageModelHead)
{
    LanguageModelHead layer({6, 9});
    checkLayerGradients(layer, randomTensor(Shape{2, 3, 6}, 24));
}

TEST(LayerGradients, SoftmaxCrossEntropy)
{
    CpuBackend backend(1);
    const Tensor logits = randomTensor(Shape{3, 5}, 17, 2.0f);
    const std::vector<int32_t> labels = {4, 0, 2};
    const int64_t miniBatch = 6; // gradients scale by 1/6, not 1/3
    const LossResult result = softmaxCrossEntropy(backend, logits, labels, miniBatch);
    const double h = 1e-2;
    for (int64_t i = 0; i < logits.elementCount(); ++i) {
        Tensor probe = logits.clone();
        probe[i] += float(h);
        const double plus = softmaxCrossEntropy(backend, probe, labels, miniBatch).lossSum;
        probe[i] -= float(2 * h);
        const double minus = softmaxCrossEntropy(backend, probe, labels, miniBatch).lossSum;
        const double numeric = (plus - minus) / (2 * h) / double(miniBatch);
        EXPECT_NEAR(result.gradLogits[i], numeric, 1e-4 + 1e-2 * std::abs(numeric)) << i;
    }
}

} // namespace
} // namespace lpm

namespace lpm {
namespace {

// Skipping the input gradient (a model's first unit) leaves the parameter
// gradients bit-identical and returns an empty tensor.
TEST(LayerGradients, SkippingTheInputGradientKeepsParameterGradients)
{
    CpuBackend backend(1);
    for (bool linear : {false, true}) {
        std::unique_ptr<Layer> full, skipping;
        if (linear) {
            full = std::make_unique<Linear>(LinearOptions{6, 4, true});
            skipping = std::make_unique<Linear>(LinearOptions{6, 4, true});
        } else {
            full = std::make_unique<Conv2d>(Conv2dOptions{1, 4, 3, 1, 1, true});
            skipping = std::make_unique<Conv2d>(Conv2dOptions{1, 4, 3, 1, 1, true});
        }
        skipping->setInputGradientNeeded(false);
        testing::BoundLayer a(*full), b(*skipping);
        const Tensor x = linear ? randomTensor(Shape{3, 6}, 1) : randomTensor(Shape{2, 1, 5, 5}, 1);
        std::unique_ptr<LayerContext> ca, cb;
        Tensor ya = full->forward(backend, x.clone(), {}, ca);
        Tensor yb = skipping->forward(backend, x.clone(), {}, cb);
        const Tensor dy = randomTensor(ya.shape(), 2);
        EXPECT_FALSE(full->backward(backend, dy.clone(), *ca).empty());
        EXPECT_TRUE(skipping->backward(backend, dy.clone(), *cb).empty());
        for (size_t p = 0; p < a.parameters().size(); ++p) {
            const ParameterSlot* pa = a.parameters()[p];
            const ParameterSlot* pb = b.parameters()[p];
            EXPECT_TRUE(std::equal(pa->grad, pa->grad + pa->shape.elementCount(), pb->grad)) << pa->name;
        }
    }
}

} // namespace
} // namespace lpm
