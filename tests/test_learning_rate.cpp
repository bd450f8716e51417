// The learning-rate schedules, AdamW's decoupled weight decay and gradient
// clipping by global norm.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "expect_error.h"
#include "nn/model_zoo.h"
#include "optim/gradient_clipping.h"
#include "optim/optimizer.h"

namespace lpm {
namespace {

OptimizerOptions cosine(int64_t warmup, int64_t decay)
{
    OptimizerOptions options;
    options.learningRate = 1.0f;
    options.schedule = "cosine";
    options.warmupSteps = warmup;
    options.decaySteps = decay;
    return options;
}

TEST(LearningRate, ConstantIsTheRateAtEveryStep)
{
    OptimizerOptions options;
    options.learningRate = 0.25f;
    for (int64_t step : {1, 7, 1000})
        EXPECT_EQ(learningRateAt(options, step), 0.25f);
}

TEST(LearningRate, CosineWarmsUpLinearlyThenDecaysToATenth)
{
    const OptimizerOptions options = cosine(4, 14);
    EXPECT_FLOAT_EQ(learningRateAt(options, 1), 0.25f);
    EXPECT_FLOAT_EQ(learningRateAt(options, 2), 0.5f);
    EXPECT_FLOAT_EQ(learningRateAt(options, 4), 1.0f);                 // the peak, at the warm-up's end
    EXPECT_FLOAT_EQ(learningRateAt(options, 9), 0.1f + 0.9f * 0.5f);   // half-way: the mean of peak and floor
    EXPECT_FLOAT_EQ(learningRateAt(options, 14), 0.1f);                // the decay's end
    EXPECT_FLOAT_EQ(learningRateAt(options, 100), 0.1f);               // and after it
    EXPECT_GT(learningRateAt(options, 6), learningRateAt(options, 7)); // falling in between
    EXPECT_FLOAT_EQ(learningRateAt(cosine(0, 10), 1), 0.1f + 0.9f * 0.5f * (1.0f + std::cos(0.1f * 3.14159265f)));
}

TEST(LearningRate, BadSchedulesAreNamed)
{
    expectError<InvalidArgument>([] { learningRateAt(cosine(5, 5), 1); }, {"0 <= warm-up steps < decay steps", "5"});
    OptimizerOptions unknown;
    unknown.schedule = "linear";
    expectError<InvalidArgument>([&] { learningRateAt(unknown, 1); }, {"'linear'", "constant, cosine"});
}

TEST(AdamW, DecaysTheWeightsApartFromTheMoments)
{
    // One step on one weight: AdamW shrinks w by lr·decay and then takes
    // Adam's step on the gradient alone; Adam adds decay·w to the gradient.
    CpuBackend backend(1);
    AdamHyper hyper;
    hyper.learningRate = 0.1f;
    hyper.weightDecay = 0.5f;
    hyper.decoupledWeightDecay = true;
    float weight = 2.0f, grad = 0.3f, m = 0.0f, v = 0.0f;
    backend.adamUpdate(1, hyper, &weight, &grad, &m, &v);
    // First step: m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε) ≈ lr.
    EXPECT_NEAR(weight, 2.0f * (1.0f - 0.1f * 0.5f) - 0.1f, 1e-6f);
    EXPECT_NEAR(m, 0.1f * 0.3f, 1e-7f); // (1 − β1)·g: no decay in the moment
    hyper.decoupledWeightDecay = false;
    float coupled = 2.0f, m2 = 0.0f, v2 = 0.0f;
    backend.adamUpdate(1, hyper, &coupled, &grad, &m2, &v2);
    EXPECT_NEAR(m2, 0.1f * (0.3f + 0.5f * 2.0f), 1e-7f);
    EXPECT_NEAR(coupled, 2.0f - 0.1f, 1e-6f);
}

TEST(GradientClipping, TheScaleBringsTheGlobalNormToTheLimit)
{
    EXPECT_EQ(clippingScale({1.0, 2.0}, 10.0f), 1.0f); // norm √3 < 10: untouched
    EXPECT_FLOAT_EQ(clippingScale({9.0, 16.0}, 1.0f), float(1.0 / (5.0 + 1e-6)));
    EXPECT_EQ(clippingScale({}, 1.0f), 1.0f);
}

TEST(GradientClipping, UnitSquaresAreSummedPerUnitAndSequentialClips)
{
    Model model = buildModel("mlp");
    ParameterStore store(model);
    store.initialize(3);
    float* gradients = store.gradients();
    for (int64_t i = 0; i < store.parameterCount(); ++i)
        gradients[i] = (i % 2 == 0 ? 0.01f : -0.02f);
    const std::vector<double> squares = unitGradientSquares(store, 0, model.unitCount() - 1);
    ASSERT_EQ(squares.size(), size_t(model.unitCount()));
    EXPECT_EQ(squares[0], 0.0); // flatten: no parameters
    for (int unit = 0; unit < model.unitCount(); ++unit) {
        double expected = 0.0;
        for (int64_t i = store.unitParameterOffset(unit); i < store.unitParameterOffset(unit + 1); ++i)
            expected += double(gradients[i]) * double(gradients[i]);
        EXPECT_EQ(squares[size_t(unit)], expected) << unit;
    }
    // A stage's own units give the same numbers.
    ParameterStore stage(model, 3, 4);
    EXPECT_EQ(unitGradientSquares(stage, 3, 4).size(), 2u);
    // SGD without momentum: one step moves each weight by lr·scale·g.
    OptimizerOptions options;
    options.momentum = 0.0f;
    options.learningRate = 1.0f;
    options.clipGradNorm = 0.1f;
    auto optimizer = makeOptimizer(options, store);
    const std::vector<float> before(store.values(), store.values() + store.parameterCount());
    const float scale = clippingScale(squares, 0.1f);
    ASSERT_LT(scale, 1.0f);
    CpuBackend backend(1);
    optimizer->step(backend, store);
    for (int64_t i : {int64_t(0), store.parameterCount() / 2, store.parameterCount() - 1}) {
        const float g = i % 2 == 0 ? 0.01f : -0.02f;
        EXPECT_EQ(store.values()[i], before[size_t(i)] - g * scale) << i;
    }
    options.clipGradNorm = -1.0f;
    expectError<InvalidArgument>([&] { makeOptimizer(options, store); }, {"norm to clip to", "-1"});
}

} // namespace
} // namespace lpm
