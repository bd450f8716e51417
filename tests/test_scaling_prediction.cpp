// The predicted scaling curve (sim/scaling_prediction.h): element n − 1 is
// the prediction of the plan cut anew on its first n devices, in closed form
// on equal units; device counts on which no cut fits give 0.
#include <gtest/gtest.h>

#include "sim/prediction.h"
#include "sim/scaling_prediction.h"
#include "tensor/error.h"

namespace lpm {
namespace {

constexpr double kForward = 1e-3; // seconds per micro-batch of 8 samples, per unit
constexpr double kBackward = 2e-3;

// 4 equal units (40 parameter bytes, 100 output bytes, 10 saved bytes per
// sample) under 1f1b with 4 micro-batches of 8 samples, on `devices` devices
// of `memoryBytes` each joined by free links, partitioned by optimal.
Plan equalUnitsPlan(int devices, int64_t memoryBytes)
{
    Plan plan;
    plan.model = "equal";
    plan.deviceSpec = "test";
    plan.partitioner = "optimal";
    plan.schedule = "1f1b";
    plan.batch = 32;
    plan.microBatches = 4;
    plan.costs.model = "equal";
    plan.costs.microBatchSize = 8;
    plan.costs.units.assign(4, UnitCost{1.0, 2.0, 40, 100, 10});
    plan.costs.devices.push_back({"dev", "test", std::vector<UnitTimes>(4, UnitTimes{kForward, kBackward}), 0.0});
    for (int d = 0; d < devices; ++d) {
        std::string label = "d";
        label += std::to_string(d);
        plan.devices.push_back({label, "dev", memoryBytes, 1, {"link", 1e30, 0.0}});
    }
    return plan;
}

// The plan on its first n devices, cut as predictScaling cuts it.
Plan onFirstDevices(Plan plan, size_t n)
{
    plan.devices.resize(n);
    partitionPlanPredicted(plan);
    return plan;
}

TEST(ScalingPrediction, ElementNMinusOneIsThePredictionOnNDevices)
{
    const Plan plan = equalUnitsPlan(4, int64_t(1) << 40);
    const std::vector<double> speedups = predictScaling(plan, 16);
    ASSERT_EQ(speedups.size(), size_t(4));
    for (size_t n = 1; n <= 4; ++n) {
        SCOPED_TRACE("n=" + std::to_string(n));
        EXPECT_DOUBLE_EQ(speedups[n - 1], predictPlan(onFirstDevices(plan, n)).speedup);
    }
    // Closed forms of 1f1b on p equal stages of 4/p units, m = 4: sequential
    // takes 4·4 unit-times, the pipeline (m + p − 1)·4/p.
    EXPECT_NEAR(speedups[0], 1.0, 1e-9);
    EXPECT_NEAR(speedups[1], 16.0 / 10.0, 1e-9);
    EXPECT_NEAR(speedups[3], 16.0 / 7.0, 1e-9);
    // Three devices cannot beat two: some stage holds two of the four units.
    EXPECT_NEAR(speedups[2], speedups[1], 1e-9);
}

TEST(ScalingPrediction, StopsAtMaxDevices)
{
    const Plan plan = equalUnitsPlan(4, int64_t(1) << 40);
    const std::vector<double> speedups = predictScaling(plan, 2);
    ASSERT_EQ(speedups.size(), size_t(2));
    EXPECT_DOUBLE_EQ(speedups[1], predictPlan(onFirstDevices(plan, 2)).speedup);
    EXPECT_TRUE(predictScaling(plan, 0).empty());
    EXPECT_TRUE(predictScaling(equalUnitsPlan(0, int64_t(1) << 40), 16).empty());
}

TEST(ScalingPrediction, ADeviceCountOnWhichNoCutFitsGivesZero)
{
    // 600 bytes per device: the whole model needs 4·(3·40) + 4·10·8 = 800 on
    // one device (parameters, gradients, momentum; one micro-batch in
    // flight); two stages of two units need at most 2·(3·40) + 2·(2·10·8) =
    // 560 (two in flight on the first).
    const Plan plan = equalUnitsPlan(2, 600);
    Plan one = plan;
    one.devices.resize(1);
    EXPECT_THROW(partitionPlanPredicted(one), InvalidArgument);
    const std::vector<double> speedups = predictScaling(plan, 16);
    ASSERT_EQ(speedups.size(), size_t(2));
    EXPECT_EQ(speedups[0], 0.0);
    EXPECT_NEAR(speedups[1], 16.0 / 10.0, 1e-9);
    EXPECT_DOUBLE_EQ(speedups[1], predictPlan(onFirstDevices(plan, 2)).speedup);
}

} // namespace
} // namespace lpm
