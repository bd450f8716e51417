// The learning-rate schedules and AdamW's decoupled weight decay.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "expect_error.h"
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

} // namespace
} // namespace lpm
