// The speedup ceiling of a layer-wise cut against its closed forms on
// hand-made costs (one dominant unit: 1/f; communication lowers it; what the
// bottleneck names), and the advice on a plan: the bottleneck's line, the
// suggested schedule and its threshold, the zoo's unit labels.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nn/model_outline.h"
#include "plan/speedup_ceiling.h"
#include "sim/plan_advice.h"

namespace lpm {
namespace {

using ::testing::HasSubstr;

// Units taking `seconds` per micro-batch (forward + backward), 0 output bytes
// unless given, on `devices` equal devices "d0", "d1", ... joined by free links.
PartitionProblem chainProblem(const std::vector<double>& seconds, int devices)
{
    PartitionProblem problem;
    problem.unitSeconds = seconds;
    problem.outputBytes.assign(seconds.size(), 0);
    problem.staticBytes.assign(seconds.size(), 0);
    problem.savedBytes.assign(seconds.size(), 0);
    for (int d = 0; d < devices; ++d) {
        std::string name = "d";
        name += std::to_string(d); // (not "d" + ...: GCC 12 warns falsely of an overlapping copy)
        problem.devices.push_back({name, 1.0});
        if (d > 0)
            problem.links.push_back({1e12, 0.0});
    }
    return problem;
}

TEST(SpeedupCeiling, OneUnitHoldingFractionFGivesOneOverFOnTwoStages)
{
    // (f = 1/2 is the balanced case: the devices, not the unit, set the ceiling.)
    for (double f : {0.6, 0.75, 0.9, 0.99}) {
        SCOPED_TRACE("f = " + std::to_string(f));
        const double rest = (1.0 - f) / 3.0;
        // The dominant unit first, then the rest of the work in three units.
        const PartitionProblem problem = chainProblem({f, rest, rest, rest}, 2);
        const SpeedupCeiling ceiling = estimateSpeedupCeiling(problem);
        EXPECT_NEAR(ceiling.speedup, 1.0 / f, 1e-12);
        EXPECT_NEAR(ceiling.sequentialSeconds, 1.0, 1e-12);
        EXPECT_NEAR(ceiling.bottleneckSeconds, f, 1e-12);
        EXPECT_EQ(ceiling.kind, BottleneckKind::Unit);
        EXPECT_EQ(ceiling.unit, 0);
        EXPECT_NEAR(ceiling.unitShare, f, 1e-12);
    }
    // In the middle of the chain it takes three stages to isolate it.
    const SpeedupCeiling middle = estimateSpeedupCeiling(chainProblem({0.1, 0.8, 0.1}, 3));
    EXPECT_NEAR(middle.speedup, 1.0 / 0.8, 1e-12);
    EXPECT_EQ(middle.kind, BottleneckKind::Unit);
    EXPECT_EQ(middle.unit, 1);
    // With two stages the middle unit shares one with a neighbour: 1 / (0.8 + 0.1).
    EXPECT_NEAR(estimateSpeedupCeiling(chainProblem({0.1, 0.8, 0.1}, 2)).speedup, 1.0 / 0.9, 1e-12);
}

TEST(SpeedupCeiling, EqualUnitsReachTheDeviceCountOrNameTheUnevenStage)
{
    for (int devices : {2, 4}) {
        const SpeedupCeiling even = estimateSpeedupCeiling(chainProblem({1, 1, 1, 1}, devices));
        EXPECT_NEAR(even.speedup, double(devices), 1e-12);
        EXPECT_EQ(even.kind, BottleneckKind::Devices);
    }
    EXPECT_EQ(estimateSpeedupCeiling(chainProblem({0.5, 0.5 / 3, 0.5 / 3, 0.5 / 3}, 2)).kind, BottleneckKind::Devices);
    // Three equal units on two devices: the best cut holds two in one stage.
    const SpeedupCeiling uneven = estimateSpeedupCeiling(chainProblem({1, 1, 1}, 2));
    EXPECT_NEAR(uneven.speedup, 1.5, 1e-12);
    EXPECT_EQ(uneven.kind, BottleneckKind::Stage);
    const PlannedStage& slowest = uneven.cut.at(size_t(uneven.slowestStage));
    EXPECT_EQ(slowest.last - slowest.first, 1);
    // More devices than units: one unit per stage at most.
    EXPECT_NEAR(estimateSpeedupCeiling(chainProblem({1, 1}, 5)).speedup, 2.0, 1e-12);
}

TEST(SpeedupCeiling, CommunicationLowersItAndTheLinkSetsItWhenLargest)
{
    // Units of 3 s and 1 s: 4/3 without communication. The cut after unit 0
    // sends 100 bytes forward and back over a link of 100 B/s and 0.25 s latency:
    // 2·(0.25 + 1) = 2.5 s per micro-batch on stage 1, more than its 1 s of compute.
    PartitionProblem problem = chainProblem({3.0, 1.0}, 2);
    const double free = estimateSpeedupCeiling(problem).speedup;
    EXPECT_NEAR(free, 4.0 / 3.0, 1e-12);
    problem.outputBytes = {100, 0};
    problem.links[0] = {100.0, 0.25};
    const SpeedupCeiling costly = estimateSpeedupCeiling(problem);
    EXPECT_NEAR(costly.speedup, 4.0 / (1.0 + 2.5), 1e-12);
    EXPECT_LT(costly.speedup, free);
    EXPECT_EQ(costly.kind, BottleneckKind::Link);
    EXPECT_EQ(costly.link, 0);
    EXPECT_EQ(costly.unit, 0);
    EXPECT_NEAR(costly.transferSeconds, 2.5, 1e-12);

    // A cheaper link (2·(0.25 + 0.25) = 1 s): stage 1 takes 2 s, under unit 0's 3 s,
    // so the ceiling stays 4/3 and the unit still sets it.
    problem.links[0] = {400.0, 0.25};
    const SpeedupCeiling hidden = estimateSpeedupCeiling(problem);
    EXPECT_NEAR(hidden.speedup, 4.0 / 3.0, 1e-12);
    EXPECT_EQ(hidden.kind, BottleneckKind::Unit);
    EXPECT_EQ(hidden.unit, 0);
}

TEST(SpeedupCeiling, ACutThatCannotPayLeavesOneStageAndBlamesTheLink)
{
    // Two 1 s units; any cut adds 2·(0 + 300 B / 100 B/s) = 6 s: one stage is best.
    PartitionProblem problem = chainProblem({1.0, 1.0, 1.0}, 3);
    problem.outputBytes = {300, 300, 0};
    problem.links = {{100.0, 0.0}, {100.0, 0.0}};
    const SpeedupCeiling ceiling = estimateSpeedupCeiling(problem);
    EXPECT_NEAR(ceiling.speedup, 1.0, 1e-12);
    ASSERT_EQ(ceiling.cut.size(), 1u);
    EXPECT_EQ(ceiling.kind, BottleneckKind::Link);
    EXPECT_EQ(ceiling.link, 0);
    EXPECT_NEAR(ceiling.transferSeconds, 6.0, 1e-12);
    // The boundary the link would carry is where cutting without communication would cut.
    EXPECT_GE(ceiling.unit, 0);
    EXPECT_LE(ceiling.unit, 1);
}

TEST(SpeedupCeiling, OneStageForLackOfWorkBlamesTheUnitNotALink)
{
    // All the work in unit 0: one stage is as good as any cut (fewest stages among
    // equals), and no link is to blame.
    const SpeedupCeiling ceiling = estimateSpeedupCeiling(chainProblem({2.0, 0.0, 0.0}, 2));
    EXPECT_NEAR(ceiling.speedup, 1.0, 1e-12);
    EXPECT_EQ(ceiling.kind, BottleneckKind::Unit);
    EXPECT_EQ(ceiling.unit, 0);
    // Nothing to compute at all: no gain and no loss, and no division by zero.
    EXPECT_DOUBLE_EQ(estimateSpeedupCeiling(chainProblem({0.0, 0.0}, 2)).speedup, 1.0);
}

TEST(SpeedupCeiling, AFasterDeviceRaisesItAboveTheDeviceCount)
{
    // unitSeconds are on the reference (speed 1); device 1 runs twice as fast.
    PartitionProblem problem = chainProblem({1, 1, 1, 1, 1, 1}, 2);
    problem.devices[1].speed = 2.0;
    // Best: 2 units on d0 (2 s), 4 on d1 (4 / 2 = 2 s): 6 / 2 = 3, both devices' speed.
    const SpeedupCeiling ceiling = estimateSpeedupCeiling(problem);
    EXPECT_NEAR(ceiling.speedup, 3.0, 1e-12);
    EXPECT_EQ(ceiling.kind, BottleneckKind::Devices);
}

// A plan of `seconds` per unit and micro-batch (forward a third, backward two
// thirds) on `devices` devices of kind "dev" with free links, cut by optimal.
Plan chainPlan(const std::vector<double>& seconds, int devices, const std::string& schedule, int64_t microBatches)
{
    Plan plan;
    plan.model = "chain";
    plan.deviceSpec = "test";
    plan.partitioner = "optimal";
    plan.schedule = schedule;
    plan.batch = 4 * microBatches;
    plan.microBatches = microBatches;
    plan.costs.model = "chain";
    plan.costs.microBatchSize = 4;
    plan.costs.units.assign(seconds.size(), UnitCost{1.0, 2.0, 40, 100, 10});
    DeviceCosts dev{"dev", "test", {}, 0.0};
    for (double s : seconds)
        dev.units.push_back({s / 3.0, 2.0 * s / 3.0});
    plan.costs.devices.push_back(dev);
    for (int d = 0; d < devices; ++d) {
        std::string label = "d";
        label += std::to_string(d);
        plan.devices.push_back({label, "dev", int64_t(1) << 40, 1, {"link", 1e30, 0.0}});
    }
    partitionPlanPredicted(plan);
    return plan;
}

TEST(PlanAdvice, APlanHeldBackByOneUnitIsToldOfDataParallelism)
{
    // Unit 1 holds 80 % of the work: a cut on two devices gains at most 1.25x,
    // while dp's replicas (free all-reduce, no update cost) run at twice the speed.
    const Plan plan = chainPlan({0.1e-3, 0.8e-3, 0.1e-3}, 2, "lpm", 8);
    const Prediction prediction = predictPlan(plan);
    const PlanAdvice advice = advisePlan(plan, prediction, {"A #1", "Big #1 (wide)", "C #1"});
    EXPECT_NEAR(advice.ceiling.speedup, 1.0 / 0.9, 1e-9); // two stages: 0.8 shares one with 0.1
    EXPECT_LE(prediction.speedup, advice.ceiling.speedup + 1e-9);
    EXPECT_EQ(advice.ceiling.kind, BottleneckKind::Unit);
    EXPECT_EQ(advice.bottleneck, "unit 1 Big #1 (wide): 80% of the work");
    ASSERT_TRUE(advice.suggestion.has_value());
    EXPECT_EQ(advice.suggestion->schedule, "dp");
    Plan dp = plan;
    dp.schedule = "dp";
    partitionPlanPredicted(dp);
    const Prediction dpPrediction = predictPlan(dp);
    EXPECT_DOUBLE_EQ(advice.suggestion->iterationSeconds, dpPrediction.iterationSeconds);
    EXPECT_DOUBLE_EQ(advice.suggestion->speedup, dpPrediction.speedup);
    EXPECT_NEAR(advice.suggestion->speedup, 2.0, 1e-9);
}

TEST(PlanAdvice, TheSuggestionMustBeAtLeastTheMinimumGainFaster)
{
    const Plan plan = chainPlan({0.1e-3, 0.8e-3, 0.1e-3}, 2, "lpm", 8);
    const std::optional<ScheduleSuggestion> best = suggestSchedule(plan, 1.0);
    ASSERT_TRUE(best.has_value());
    // The threshold is on the plan's iteration time: best ≤ (1 − gain) · plan's.
    const double boundary = best->iterationSeconds / (1.0 - kSuggestionMinimumGain);
    EXPECT_TRUE(suggestSchedule(plan, boundary * (1.0 + 1e-9)).has_value());
    EXPECT_FALSE(suggestSchedule(plan, boundary * (1.0 - 1e-6)).has_value());
    EXPECT_FALSE(suggestSchedule(plan, 0.0).has_value());
}

TEST(PlanAdvice, ABalancedPipelineWithManyMicroBatchesGetsNoSuggestion)
{
    // Four equal units on two devices, 64 micro-batches: lpm's fill and drain are
    // under 10 % of the iteration, so dp's full speed is not clearly better.
    const Plan plan = chainPlan({1e-3, 1e-3, 1e-3, 1e-3}, 2, "lpm", 64);
    const Prediction prediction = predictPlan(plan);
    const PlanAdvice advice = advisePlan(plan, prediction);
    EXPECT_NEAR(advice.ceiling.speedup, 2.0, 1e-12);
    EXPECT_GT(prediction.speedup, 2.0 * (1.0 - kSuggestionMinimumGain));
    EXPECT_FALSE(advice.suggestion.has_value());
    EXPECT_EQ(advice.bottleneck, "none: the work divides evenly over 2 devices");
}

TEST(PlanAdvice, WhereTheCutPaysNeitherDpNorAnInexactScheduleIsSuggested)
{
    // Four equal units on two devices, two micro-batches: the cut pays (ceiling 2),
    // yet lpm's fill and drain leave dp clearly faster.
    const Plan plan = chainPlan({1e-3, 1e-3, 1e-3, 1e-3}, 2, "lpm", 2);
    const Prediction prediction = predictPlan(plan);
    Plan dp = plan;
    dp.schedule = "dp";
    partitionPlanPredicted(dp);
    ASSERT_LT(predictPlan(dp).iterationSeconds, (1.0 - kSuggestionMinimumGain) * prediction.iterationSeconds);
    const PlanAdvice advice = advisePlan(plan, prediction);
    EXPECT_FALSE(cutCannotPay(plan, advice.ceiling));
    // The suggestion is exact and keeps cutting: interleaving (a unit per
    // chunk, two chunks per device) halves the fill and drain.
    ASSERT_TRUE(advice.suggestion.has_value());
    EXPECT_EQ(advice.suggestion->schedule, "interleaved");
    EXPECT_LT(advice.suggestion->iterationSeconds, (1.0 - kSuggestionMinimumGain) * prediction.iterationSeconds);
    const std::optional<ScheduleSuggestion> fastest = predictFastestOtherSchedule(plan);
    ASSERT_TRUE(fastest.has_value());
    EXPECT_NE(fastest->schedule, "dp");
    EXPECT_NE(fastest->schedule, "lpm-async");
    // The same model held back by one unit: the cut cannot pay, and dp is offered.
    const Plan heldBack = chainPlan({0.1e-3, 0.8e-3, 0.1e-3}, 2, "lpm", 2);
    EXPECT_TRUE(cutCannotPay(heldBack, estimateSpeedupCeiling(heldBack)));
    ASSERT_TRUE(predictFastestOtherSchedule(heldBack).has_value());
    EXPECT_EQ(predictFastestOtherSchedule(heldBack)->schedule, "dp");
}

TEST(PlanAdvice, TheBottleneckLineNamesTheLinkAndTheStage)
{
    Plan plan = chainPlan({3e-3, 1e-3}, 2, "lpm", 4);
    SpeedupCeiling ceiling;
    ceiling.kind = BottleneckKind::Link;
    ceiling.link = 0;
    ceiling.unit = 0;
    ceiling.transferSeconds = 2.5e-3;
    EXPECT_EQ(describeBottleneck(plan, ceiling, {"Conv2d #1 (3x3)"}),
              "link d0 -> d1 at the cut after unit 0 Conv2d #1 (3x3): 2.500 ms of transfers per "
              "micro-batch");
    ceiling.kind = BottleneckKind::Stage;
    ceiling.cut = {{0, 0, 0}, {1, 1, 1}};
    ceiling.slowestStage = 1;
    EXPECT_EQ(describeBottleneck(plan, ceiling), "stage 1 (units 1-1 on d1): the units do not divide more evenly");
}

TEST(PlanAdvice, ZooUnitsAreLabelledByKindOrdinalAndSettings)
{
    const std::vector<std::string> labels = labelUnits(outlineModel("cnn"));
    ASSERT_EQ(labels.size(), 10u);
    EXPECT_EQ(labels[0], "Conv2d #1 (3x3 1->32 stride 1 pad 1)");
    EXPECT_EQ(labels[3], "Conv2d #2 (3x3 32->64 stride 1 pad 1)");
    EXPECT_EQ(labels[4], "ReLU #2");
    EXPECT_EQ(labels[9], "Linear #2 (128->10)");
}

} // namespace
} // namespace lpm
