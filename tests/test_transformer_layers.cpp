// The transformer layers beyond their gradient checks: the attention against
// a naive reference, causality, results that do not depend on the thread
// count, and the errors for bad token ids and shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "expect_error.h"
#include "layer_test_support.h"
#include "nn/language_model_head.h"
#include "nn/softmax_cross_entropy.h"
#include "nn/token_embedding.h"
#include "nn/transformer_block.h"
#include "tensor/error.h"

namespace lpm {
namespace {

using testing::randomTensor;

// The attention of one (sample, head) straight from the definition, in double:
// out[t] = Σ_{s ≤ t} softmax_s(q_t·k_s/√D) v_s.
std::vector<double> naiveAttention(const AttentionGeometry& g, const Tensor& qkv)
{
    const int64_t width = g.width(), stride = 3 * width;
    std::vector<double> out(size_t(g.batch * g.tokens * width));
    for (int64_t n = 0; n < g.batch; ++n)
        for (int64_t h = 0; h < g.heads; ++h)
            for (int64_t t = 0; t < g.tokens; ++t) {
                const float* q = qkv.data() + (n * g.tokens + t) * stride + h * g.headDim;
                std::vector<double> scores(size_t(t + 1));
                double peak = -1e300;
                for (int64_t s = 0; s <= t; ++s) {
                    const float* k = qkv.data() + (n * g.tokens + s) * stride + width + h * g.headDim;
                    double dot = 0.0;
                    for (int64_t d = 0; d < g.headDim; ++d)
                        dot += double(q[d]) * double(k[d]);
                    scores[size_t(s)] = dot / std::sqrt(double(g.headDim));
                    peak = std::max(peak, scores[size_t(s)]);
                }
                double total = 0.0;
                for (double& score : scores)
                    total += (score = std::exp(score - peak));
                for (int64_t s = 0; s <= t; ++s) {
                    const float* v = qkv.data() + (n * g.tokens + s) * stride + 2 * width + h * g.headDim;
                    for (int64_t d = 0; d < g.headDim; ++d)
                        out[size_t((n * g.tokens + t) * width + h * g.headDim + d)] +=
                            scores[size_t(s)] / total * double(v[d]);
                }
            }
    return out;
}

TEST(TransformerLayers, AttentionMatchesTheNaiveReference)
{
    for (const AttentionGeometry g : {AttentionGeometry{2, 7, 3, 4}, AttentionGeometry{1, 64, 4, 32}}) {
        CpuBackend backend(1);
        const Tensor qkv = randomTensor(Shape{g.batch, g.tokens, 3 * g.width()}, 31);
        Tensor out(Shape{g.batch, g.tokens, g.width()});
        Tensor logSumExp(Shape{g.batch, g.heads, g.tokens});
        backend.causalAttentionForward(g, qkv.data(), out.data(), logSumExp.data());
        const std::vector<double> expected = naiveAttention(g, qkv);
        double worst = 0.0;
        for (int64_t i = 0; i < out.elementCount(); ++i)
            worst = std::max(worst, std::abs(double(out[i]) - expected[size_t(i)]));
        EXPECT_LT(worst, 1e-5) << "T = " << g.tokens;
    }
}

TEST(TransformerLayers, AttentionLooksOnlyBackwards)
{
    // Changing the last token changes no earlier position's output.
    CpuBackend backend(1);
    const AttentionGeometry g{1, 6, 2, 3};
    Tensor qkv = randomTensor(Shape{1, 6, 18}, 32);
    Tensor before(Shape{1, 6, 6}), after(Shape{1, 6, 6}), logSumExp(Shape{1, 2, 6});
    backend.causalAttentionForward(g, qkv.data(), before.data(), logSumExp.data());
    for (int64_t c = 0; c < 18; ++c)
        qkv[5 * 18 + c] += 1.0f;
    backend.causalAttentionForward(g, qkv.data(), after.data(), logSumExp.data());
    EXPECT_EQ(0, std::memcmp(before.data(), after.data(), sizeof(float) * 5 * 6));
    EXPECT_NE(0, std::memcmp(before.data() + 30, after.data() + 30, sizeof(float) * 6));
}

// Forward and backward of a block on `threads` threads: the output, the input
// gradient and every parameter gradient, concatenated.
std::vector<float> blockResults(int threads)
{
    TransformerBlock block({16, 4});
    testing::BoundLayer bound(block, 5);
    CpuBackend backend(threads);
    std::unique_ptr<LayerContext> context;
    Tensor output = block.forward(backend, randomTensor(Shape{3, 9, 16}, 33), {}, context);
    Tensor gradInput = block.backward(backend, randomTensor(output.shape(), 34), *context);
    std::vector<float> all(output.values().begin(), output.values().end());
    all.insert(all.end(), gradInput.values().begin(), gradInput.values().end());
    for (const ParameterSlot* slot : bound.parameters())
        all.insert(all.end(), slot->grad, slot->grad + slot->shape.elementCount());
    return all;
}

TEST(TransformerLayers, ABlockGivesTheSameBitsOnAnyThreadCount)
{
    const std::vector<float> one = blockResults(1);
    const std::vector<float> two = blockResults(2);
    const std::vector<float> three = blockResults(3);
    ASSERT_EQ(one.size(), two.size());
    EXPECT_EQ(0, std::memcmp(one.data(), two.data(), sizeof(float) * one.size()));
    EXPECT_EQ(0, std::memcmp(one.data(), three.data(), sizeof(float) * one.size()));
}

TEST(TransformerLayers, GeluFollowsItsDefinition)
{
    // The backend's tanh (through expf) against std::tanh, in double, over
    // [−12, 12]: the values and the derivative within 2e-6 absolute plus 1e-6
    // relative. (Below x ≈ −5 the true slope, about −1e-6, is lost in float
    // whatever the tanh: 1 + tanh rounds to 0 there.)
    CpuBackend backend(1);
    std::vector<float> x;
    for (int i = -12000; i <= 12000; ++i)
        x.push_back(float(i) * 1e-3f);
    std::vector<float> y(x.size()), dx(x.size()), ones(x.size(), 1.0f);
    backend.geluForward(int64_t(x.size()), x.data(), y.data());
    backend.geluBackward(int64_t(x.size()), x.data(), ones.data(), dx.data());
    const double c = std::sqrt(2.0 / 3.14159265358979323846);
    for (size_t i = 0; i < x.size(); ++i) {
        const double v = x[i], t = std::tanh(c * (v + 0.044715 * v * v * v));
        const double value = 0.5 * v * (1.0 + t);
        const double slope = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * c * (1.0 + 3.0 * 0.044715 * v * v);
        EXPECT_NEAR(y[i], value, 2e-6 + 1e-6 * std::abs(value)) << "x = " << v;
        EXPECT_NEAR(dx[i], slope, 2e-6 + 1e-6 * std::abs(slope)) << "x = " << v;
    }
}

TEST(TransformerLayers, TokenIdsOutsideTheVocabularyAreRefused)
{
    TokenEmbedding embedding({10, 4, 3});
    testing::BoundLayer bound(embedding);
    CpuBackend backend(1);
    for (float bad : {10.0f, -1.0f, 2.5f}) {
        Tensor ids(Shape{1, 2});
        ids[0] = 1.0f;
        ids[1] = bad;
        std::unique_ptr<LayerContext> context;
        expectError<InvalidArgument>([&] { embedding.forward(backend, std::move(ids), {}, context); },
                                     {"is not a whole number in [0, 10)"});
    }
}

TEST(TransformerLayers, ShapesThatDoNotFitAreNamed)
{
    TokenEmbedding embedding({10, 4, 3});
    expectError<InvalidArgument>([&] { embedding.outputShape(Shape{2, 5}); }, {"1 ≤ T ≤ 4, got (2, 5)"});
    TransformerBlock block({8, 2});
    expectError<InvalidArgument>([&] { block.outputShape(Shape{2, 3, 6}); }, {"expected input (N, T, 8)"});
    expectError<InvalidArgument>([] { CausalSelfAttention({8, 3}); }, {"3 heads do not divide the width 8"});
    expectError<InvalidArgument>([] { LayerNorm(0); }, {"LayerNorm", "must be positive"});
    expectError<InvalidArgument>(
        [] {
            LayerNorm(6).outputShape(Shape{2, 5});
        },
        {"LayerNorm 6", "(N, 6)", "got (2, 5)"});
    expectError<InvalidArgument>([] { TokenEmbedding({0, 4, 3}); }, {"TokenEmbedding", "must be positive"});
    expectError<InvalidArgument>(
        [] {
            LanguageModelHead({8, 20}).outputShape(Shape{2, 8});
        },
        {"LanguageModelHead", "expected input (N, T, 8)", "got (2, 8)"});
    expectError<InvalidArgument>(
        [] {
            Linear({5, 3, true}).outputShape(Shape{2, 4, 6});
        },
        {"Linear 5->3", "(N, T, 5)", "got (2, 4, 6)"});
    // The loss over positions wants N·T labels for (N, T, K) logits.
    CpuBackend backend(1);
    const Tensor logits(Shape{2, 3, 4});
    const std::vector<int32_t> labels(5, 0);
    expectError<InvalidArgument>([&] { softmaxCrossEntropy(backend, logits, labels, 2); },
                                 {"(N, T, K) with N·T = 5", "got (2, 3, 4)"});
}

} // namespace
} // namespace lpm
