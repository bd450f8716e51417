// The cost model's inputs: data-sheet estimates in closed form, linear
// scaling between micro-batch sizes, and the profiler on the CPU backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "backend/cpu/cpu_backend.h"
#include "expect_error.h"
#include "nn/model_zoo.h"
#include "plan/cost_model.h"
#include "plan/profiler.h"

namespace lpm {
namespace {

// One unit: 1,000 FLOPs forward and 2,000 backward per sample, 400 parameter
// bytes, 40 output bytes, 80 saved bytes; 100 input bytes per sample.
ModelCosts oneUnit(int64_t microBatch)
{
    ModelCosts costs;
    costs.model = "one";
    costs.microBatchSize = microBatch;
    costs.inputBytesPerSample = 100;
    costs.units = {UnitCost{1000.0, 2000.0, 400, 40, 80}};
    return costs;
}

DeviceModel device(double flops, double bytesPerSecond)
{
    DeviceModel model;
    model.id = "test";
    model.fullName = "test device";
    model.fp32FlopsPerSecond = flops;
    model.memoryBytesPerSecond = bytesPerSecond;
    return model;
}

TEST(CostModel, EstimateIsComputeBoundWhenFlopsDominate)
{
    const ModelCosts costs = oneUnit(10);
    // 1e6 FLOP/s at 0.6: forward 10·1000 / 6e5 s; memory is 1e15 B/s, negligible.
    const DeviceCosts estimate = estimateDeviceCosts(costs, device(1e6, 1e15));
    ASSERT_EQ(estimate.units.size(), 1u);
    EXPECT_DOUBLE_EQ(estimate.units[0].forwardSeconds,
                     10 * 1000.0 / (1e6 * kAchievedComputeFraction) + kUnitOverheadSeconds);
    EXPECT_DOUBLE_EQ(estimate.units[0].backwardSeconds,
                     10 * 2000.0 / (1e6 * kAchievedComputeFraction) + 2 * kUnitOverheadSeconds);
    EXPECT_EQ(estimate.device, "test");
}

TEST(CostModel, EstimateIsMemoryBoundWhenBytesDominate)
{
    const ModelCosts costs = oneUnit(10);
    const double rate = 1e3 * kAchievedMemoryFraction;
    const DeviceCosts estimate = estimateDeviceCosts(costs, device(1e18, 1e3));
    // Forward: 10 · (100 in + 40 out) + 400 weights; backward: 10 · (40 + 80 + 100) + 2 · 400.
    EXPECT_DOUBLE_EQ(estimate.units[0].forwardSeconds, 1800.0 / rate + kUnitOverheadSeconds);
    EXPECT_DOUBLE_EQ(estimate.units[0].backwardSeconds, 3000.0 / rate + 2 * kUnitOverheadSeconds);
    EXPECT_DOUBLE_EQ(estimate.updateSecondsPerParameter, 24.0 / rate); // six fp32 passes
}

TEST(CostModel, TimesScaleLinearlyWithTheMicroBatch)
{
    ModelCosts costs = oneUnit(8);
    costs.devices.push_back({"cpu", "test", {{0.004, 0.008}}, 1e-9});
    const std::vector<UnitTimes> half = timesFor(costs, "cpu", 4);
    EXPECT_DOUBLE_EQ(half[0].forwardSeconds, 0.002);
    EXPECT_DOUBLE_EQ(half[0].backwardSeconds, 0.004);
    expectError<InvalidArgument>([&] { timesFor(costs, "H100", 4); }, {"'H100'", "they have: cpu"});
    // The same scaling on times alone (a CPU profile kept at another size).
    const std::vector<UnitTimes> larger = scaleUnitTimes({{0.004, 0.008}, {0.001, 0.0}}, 8, 12);
    ASSERT_EQ(larger.size(), size_t(2));
    EXPECT_DOUBLE_EQ(larger[0].forwardSeconds, 0.006);
    EXPECT_DOUBLE_EQ(larger[0].backwardSeconds, 0.012);
    EXPECT_DOUBLE_EQ(larger[1].forwardSeconds, 0.0015);
    EXPECT_DOUBLE_EQ(larger[1].backwardSeconds, 0.0);
}

TEST(CostModel, DescribesEveryUnitOfAModel)
{
    const Model model = buildModel("lenet5");
    const ModelCosts costs = describeModelCosts(model, 16);
    EXPECT_EQ(costs.unitCount(), model.unitCount());
    EXPECT_EQ(costs.inputBytesPerSample, 4 * 28 * 28);
    EXPECT_EQ(costs.model, "lenet5");
    expectError<InvalidArgument>([&] { describeModelCosts(model, 0); }, {"micro-batch size", "got 0"});
}

TEST(CostModel, ValidationNamesTheBadField)
{
    ModelCosts costs = oneUnit(4);
    costs.devices.push_back({"cpu", "test", {{0.001, 0.002}, {0.001, 0.002}}, 0.0});
    expectError<InvalidArgument>([&] { validateModelCosts(costs); }, {"'cpu'", "2 units", "has 1"});
    costs.devices[0].units = {{-1.0, 0.0}};
    expectError<InvalidArgument>([&] { validateModelCosts(costs); }, {"unit 0", "negative or non-finite time"});
    costs.devices.clear();
    costs.units[0].outputBytes = -1;
    expectError<InvalidArgument>([&] { validateModelCosts(costs); }, {"unit 0", "negative"});
}

TEST(Profiler, MeasuresEveryUnitOnTheCpu)
{
    Model model = buildModel("lenet5");
    CpuBackend backend(1);
    ProfileOptions options;
    options.microBatchSize = 4;
    options.warmup = 1;
    options.repetitions = 3;
    options.minimumSeconds = 0.0; // exactly 3 counted rounds
    options.deviceDescription = "test CPU";
    int calls = 0;
    const ModelCosts costs = profileModel(backend, model, options, [&](int done, int total) {
        EXPECT_EQ(done, ++calls);
        EXPECT_EQ(total, options.warmup + options.repetitions);
    });
    EXPECT_EQ(calls, options.warmup + options.repetitions);
    ASSERT_EQ(costs.devices.size(), 1u);
    const DeviceCosts& cpu = costs.devices[0];
    EXPECT_EQ(cpu.device, "cpu");
    EXPECT_NE(cpu.source.find("test CPU"), std::string::npos) << cpu.source;
    EXPECT_NE(cpu.source.find("median of 3 rounds"), std::string::npos) << cpu.source;
    ASSERT_EQ(cpu.units.size(), size_t(model.unitCount()));
    for (const UnitTimes& unit : cpu.units) {
        EXPECT_GT(unit.forwardSeconds, 0.0);
        EXPECT_GT(unit.backwardSeconds, 0.0);
        EXPECT_LT(unit.forwardSeconds, 1.0);
    }
    // The second convolution does about 150 times the work of the ReLU after it (and takes about 50
    // times its time here), so a loaded machine does not swap them; the first convolution's lead is
    // too small for that.
    EXPECT_GT(cpu.units[3].forwardSeconds, cpu.units[4].forwardSeconds);
    EXPECT_GT(cpu.updateSecondsPerParameter, 0.0);
    EXPECT_GT(cpu.inputSecondsPerSample, 0.0);
    validateModelCosts(costs);
    options.repetitions = 0;
    expectError<InvalidArgument>([&] { profileModel(backend, model, options); }, {"repetitions"});
    options.repetitions = 3;
    options.minimumSeconds = -1.0;
    expectError<InvalidArgument>([&] { profileModel(backend, model, options); }, {"minimum", "-1"});
}

TEST(Profiler, CountedRoundsLastTheMinimumTime)
{
    Model model = buildModel("mlp");
    CpuBackend backend(1);
    ProfileOptions options;
    options.microBatchSize = 2; // a round takes well under a millisecond
    options.warmup = 1;
    options.repetitions = 3;
    options.minimumSeconds = 0.2;
    int lastDone = 0, lastTotal = 0;
    const auto start = std::chrono::steady_clock::now();
    const ModelCosts costs = profileModel(backend, model, options, [&](int done, int total) {
        EXPECT_EQ(done, lastDone + 1);
        EXPECT_LE(done, total);
        lastDone = done;
        lastTotal = total;
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_GE(seconds, 0.2);
    EXPECT_EQ(lastDone, lastTotal); // the last report is the last round
    EXPECT_GT(lastDone, options.warmup + options.repetitions);
    // The source names the rounds that counted.
    const std::string counted = "median of " + std::to_string(lastDone - options.warmup) + " rounds";
    EXPECT_NE(costs.devices.front().source.find(counted), std::string::npos) << costs.devices.front().source;
}

} // namespace
} // namespace lpm
