// Plans and their predictions: stage times from costs and links, closed forms
// of the metrics on uniform stages, the partitioning problem a plan poses,
// and the edge cases of the issue (one unit, one device, zero costs, more
// devices than units, infeasible memory, unequal and too few micro-batches);
// and the cost model calibrated on a measured run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "expect_error.h"
#include "plan/plan.h"
#include "schedule/schedule.h"
#include "sim/calibration.h"
#include "sim/prediction.h"
#include "sim/schedule_choice.h"

namespace lpm {
namespace {

constexpr double kForward = 1e-3; // seconds per micro-batch per unit
constexpr double kBackward = 2e-3;

// `units` equal units (100 output bytes, 40 parameter bytes, 10 saved bytes
// per sample) on `devices` devices "d0".."dN" of kind "dev", linked by
// `bandwidth` B/s with `latency` s; stages split the units evenly (dp: a
// replica on every device; sequential: one stage).
Plan uniformPlan(int units, int devices, const std::string& schedule, int64_t microBatches, double bandwidth = 1e30,
                 double latency = 0.0)
{
    Plan plan;
    plan.model = "uniform";
    plan.deviceSpec = "test";
    plan.partitioner = "optimal";
    plan.schedule = schedule;
    plan.batch = 8 * microBatches;
    plan.microBatches = microBatches;
    plan.costs.model = "uniform";
    plan.costs.microBatchSize = 8;
    // (W takes 1 of each unit's 2 backward FLOPs: a split backward's B and W take half each.)
    plan.costs.units.assign(size_t(units), UnitCost{1.0, 2.0, 40, 100, 10, 1, 1.0});
    plan.costs.devices.push_back(
        {"dev", "test", std::vector<UnitTimes>(size_t(units), UnitTimes{kForward, kBackward}), 0.0});
    for (int d = 0; d < devices; ++d) {
        std::string label = "d";
        label += std::to_string(d); // (not "d" + ...: GCC 12 warns falsely of an overlapping copy)
        plan.devices.push_back({label, "dev", int64_t(1) << 40, 1, {"link", bandwidth, latency}});
    }
    const int stages = schedule == "sequential" ? 1 : schedule == "dp" ? devices : std::min(units, devices);
    for (int s = 0; s < stages; ++s)
        plan.stages.push_back(schedule == "dp" ? PlannedStage{0, units - 1, s}
                                               : PlannedStage{s * units / stages, (s + 1) * units / stages - 1, s});
    return plan;
}

TEST(Prediction, GpipeAndOneForwardOneBackwardMatchTheClosedForms)
{
    for (const char* schedule : {"gpipe", "1f1b"})
        for (int p : {1, 2, 4})
            for (int m : {1, 2, 4, 8}) {
                SCOPED_TRACE(std::string(schedule) + " p=" + std::to_string(p) + " m=" + std::to_string(m));
                const Prediction prediction = predictPlan(uniformPlan(p, p, schedule, m));
                const double perMicroBatch = kForward + kBackward;
                EXPECT_NEAR(prediction.iterationSeconds, (m + p - 1) * perMicroBatch, 1e-12);
                EXPECT_NEAR(prediction.bubbleFraction, double(p - 1) / double(m + p - 1), 1e-9);
                EXPECT_NEAR(prediction.sequentialSeconds, m * p * perMicroBatch, 1e-12);
                EXPECT_NEAR(prediction.speedup, double(m * p) / double(m + p - 1), 1e-9);
                EXPECT_NEAR(prediction.samplesPerSecond, 8.0 * m / prediction.iterationSeconds, 1e-6);
                for (int s = 0; s < p; ++s) {
                    const StagePrediction& stage = prediction.stages[size_t(s)];
                    // 1F1B keeps p − s micro-batches in flight on stage s (at most m); GPipe all m.
                    const int inFlight = std::string(schedule) == "gpipe" ? m : std::min(m, p - s);
                    EXPECT_EQ(stage.peakInFlight, inFlight);
                    // Parameters, gradients and one momentum vector, plus the saved activations.
                    EXPECT_EQ(stage.memoryBytes, 3 * 40 + inFlight * 10 * 8);
                }
            }
}

TEST(Prediction, SplitBackwardStagesKeepWhatWReadsUntilW)
{
    const int p = 4, m = 8;
    for (const char* schedule : {"1f1b", "zb-h1", "zb-h2", "lpm-zb"}) {
        SCOPED_TRACE(schedule);
        Plan plan = uniformPlan(p, p, schedule, m);
        for (UnitCost& unit : plan.costs.units)
            unit.weightGradientBytes = 6;
        const Prediction prediction = predictPlan(plan);
        const Schedule lists = buildSchedule(schedule, p, m);
        const std::vector<int> inFlight = peakInFlightMicroBatches(lists);
        const std::vector<int> awaiting = peakAwaitingWeightMicroBatches(lists);
        for (int s = 0; s < p; ++s) {
            EXPECT_EQ(awaiting[size_t(s)] > 0, scheduleTraits(schedule).splitsBackward);
            // Parameters, gradients, momentum; activations until B; what W reads from B to W (per sample · 8).
            EXPECT_EQ(prediction.stages[size_t(s)].memoryBytes,
                      3 * 40 + inFlight[size_t(s)] * 10 * 8 + awaiting[size_t(s)] * 6 * 8);
        }
        // The planner's memory bound charges the worst stage's count.
        const PartitionProblem problem = partitionProblemFor(plan);
        EXPECT_EQ(problem.awaitingWeightMicroBatches, *std::max_element(awaiting.begin(), awaiting.end()));
        EXPECT_EQ(stageMemoryBytes(problem, 0, 0),
                  3 * 40 + problem.inflightMicroBatches * 10 * 8 + problem.awaitingWeightMicroBatches * 6 * 8);
    }
}

TEST(ScheduleChoice, TheFastestExactScheduleThatFitsIsChosen)
{
    Plan plan = uniformPlan(4, 2, "lpm", 8);
    ScheduleChoice choice = chooseSchedule(plan, false);
    ASSERT_EQ(choice.candidates.size(), 2 * scheduleNames().size()); // each without and with recomputation
    ASSERT_GE(choice.chosen, 0);
    for (const ScheduleCandidate& candidate : choice.candidates) {
        SCOPED_TRACE(candidate.schedule);
        EXPECT_TRUE(candidate.problem.empty()) << candidate.problem;
        EXPECT_EQ(candidate.plan.schedule, candidate.schedule);
        for (const PlannedStage& stage : candidate.plan.stages)
            EXPECT_EQ(stage.recompute, candidate.recompute);
        if (candidate.exact) {
            EXPECT_GE(candidate.prediction.iterationSeconds,
                      choice.candidates[size_t(choice.chosen)].prediction.iterationSeconds);
        }
    }
    EXPECT_TRUE(choice.candidates[size_t(choice.chosen)].exact);

    // Memory: a stage holds 240 bytes of weights, gradients and momentum and 160 per micro-batch in
    // flight, so 600 bytes take 1F1B's 2 but not GPipe's 8, nor a whole model (dp, sequential).
    for (PlanDeviceEntry& device : plan.devices)
        device.memoryBytes = 600;
    choice = chooseSchedule(plan, false);
    for (const ScheduleCandidate& candidate : choice.candidates) {
        if (candidate.schedule == "gpipe" || candidate.schedule == "dp" || candidate.schedule == "sequential") {
            EXPECT_FALSE(candidate.fits) << candidate.schedule;
        } else if (candidate.schedule == "1f1b" && !candidate.recompute) { // (recomputing keeps 800-byte inputs)
            EXPECT_TRUE(candidate.fits);
        }
    }
    ASSERT_GE(choice.chosen, 0);
    EXPECT_TRUE(choice.candidates[size_t(choice.chosen)].fits);
    for (PlanDeviceEntry& device : plan.devices)
        device.memoryBytes = 100;
    EXPECT_EQ(chooseSchedule(plan, true).chosen, -1);
}

// Recomputation: a stage keeps its input per micro-batch in flight and one
// micro-batch's activations, and runs each forward twice.
TEST(Prediction, RecomputingStagesKeepTheirInputsAndForwardTwice)
{
    const int p = 2, m = 8;
    Plan plan = uniformPlan(4, p, "1f1b", m);
    plan.costs.inputBytesPerSample = 3;
    for (UnitCost& unit : plan.costs.units)
        unit.savedBytes = 100; // per sample; output 100
    const Prediction plain = predictPlan(plan);
    for (PlannedStage& stage : plan.stages)
        stage.recompute = true;
    const Prediction recomputing = predictPlan(plan);
    for (int s = 0; s < p; ++s) {
        SCOPED_TRACE(s);
        const StagePrediction& stage = recomputing.stages[size_t(s)];
        EXPECT_TRUE(stage.recompute);
        EXPECT_FALSE(plain.stages[size_t(s)].recompute);
        const int inFlight = p - s;
        EXPECT_EQ(stage.peakInFlight, inFlight);
        const int64_t input = (s == 0 ? 3 : 100) * 8; // the model's input, or unit 1's output
        // Two units: weights, gradients, momentum; inputs in flight; one micro-batch's activations.
        EXPECT_EQ(stage.memoryBytes, 2 * 3 * 40 + inFlight * input + 2 * 100 * 8);
        EXPECT_EQ(plain.stages[size_t(s)].memoryBytes, 2 * 3 * 40 + inFlight * 2 * 100 * 8);
    }
    EXPECT_GT(recomputing.iterationSeconds, plain.iterationSeconds);
    EXPECT_EQ(recomputing.sequentialSeconds, plain.sequentialSeconds); // the reference does not recompute
    // One stage: every R is on the path, m forwards more per mini-batch.
    Plan one = uniformPlan(2, 1, "1f1b", m);
    one.stages[0].recompute = true;
    EXPECT_NEAR(predictPlan(one).iterationSeconds, m * 2 * (2 * kForward + kBackward), 1e-12);

    // The planner's bound: the schedule's worst in-flight count of inputs, and one micro-batch's activations.
    plan.recompute = true;
    const PartitionProblem problem = partitionProblemFor(plan);
    EXPECT_TRUE(problem.recompute);
    EXPECT_EQ(problem.inputBytes, 3 * 8);
    EXPECT_EQ(stageMemoryBytes(problem, 0, 1), 2 * 3 * 40 + 2 * 3 * 8 + 2 * 100 * 8);
    EXPECT_EQ(stageMemoryBytes(problem, 2, 3), 2 * 3 * 40 + 2 * 100 * 8 + 2 * 100 * 8);
    const StageCosts costs(problem);
    for (int first = 0; first < 4; ++first)
        for (int last = first; last < 4; ++last)
            EXPECT_EQ(costs.bytes(first, last + 1), stageMemoryBytes(problem, first, last));
    partitionPlan(plan);
    for (const PlannedStage& stage : plan.stages)
        EXPECT_TRUE(stage.recompute);
}

// Interleaved: each device appears once per chunk in the plan's pipeline
// order, with its share of the memory; a stage on every entry; the
// prediction is the simulator's closed form (1F1B's ramp divided by v).
TEST(Prediction, InterleavedPlansHoldAStageOnEveryChunkOfEveryDevice)
{
    const int p = 2, v = 2, m = 4;
    Plan plan = uniformPlan(8, p, "interleaved", m);
    const std::vector<PlanDeviceEntry> physical = plan.devices;
    plan.chunks = v;
    plan.devices = interleavedDevices(physical, v);
    ASSERT_EQ(plan.devices.size(), size_t(p * v));
    EXPECT_EQ(plan.devices[2].label, "d0/1");
    EXPECT_EQ(plan.devices[3].memoryBytes, physical[1].memoryBytes / v);
    const std::vector<PlanDeviceEntry> back = physicalDevices(plan);
    ASSERT_EQ(back.size(), size_t(p));
    EXPECT_EQ(back[1].label, "d1");
    EXPECT_EQ(back[1].memoryBytes, physical[1].memoryBytes);
    partitionPlan(plan);
    ASSERT_EQ(plan.stages.size(), size_t(p * v));
    for (int k = 0; k < p * v; ++k)
        EXPECT_EQ(plan.stages[size_t(k)].last - plan.stages[size_t(k)].first, 1); // two units each
    const Prediction prediction = predictPlan(plan);
    const double perStage = 2 * (kForward + kBackward);
    EXPECT_NEAR(prediction.iterationSeconds, m * v * perStage + (p - 1) * perStage, 1e-12);
    EXPECT_NEAR(prediction.bubbleFraction, 1.0 - 8 * m * (kForward + kBackward) / (p * prediction.iterationSeconds),
                1e-9);
    Plan plain = uniformPlan(8, p, "1f1b", m);
    EXPECT_LT(prediction.iterationSeconds, predictPlan(plain).iterationSeconds);

    Plan wrong = plan;
    wrong.schedule = "1f1b";
    expectError<InvalidArgument>([&] { validatePlan(wrong); }, {"chunks 2 apply to interleaved only"});
    wrong = plan;
    wrong.stages.pop_back();
    expectError<InvalidArgument>([&] { validatePlan(wrong); }, {"a stage on every one", "3 stages for 4"});
    expectError<InvalidArgument>([&] { interleavedDevices({physical[0]}, 2); }, {"at least 2 devices"});
    Plan fewUnits = uniformPlan(3, p, "interleaved", m); // 3 units for 4 chunks
    fewUnits.chunks = v;
    fewUnits.devices = interleavedDevices(physical, v);
    expectError<InvalidArgument>([&] { partitionPlan(fewUnits); },
                                 {"needs a stage on each of its 4 chunks", "the model has 3 units"});
    wrong = plan;
    wrong.microBatches = 3;
    wrong.batch = 24;
    expectError<InvalidArgument>([&] { predictPlan(wrong); }, {"not a multiple of the 2 devices"});
}

// Where no schedule fits without recomputation, the choice recomputes.
TEST(ScheduleChoice, RecomputationIsChosenWhereNothingElseFits)
{
    Plan plan = uniformPlan(4, 2, "lpm", 8);
    plan.costs.inputBytesPerSample = 10;
    for (UnitCost& unit : plan.costs.units) {
        unit.outputBytes = 10;
        unit.savedBytes = 100;
    }
    const ScheduleChoice roomy = chooseSchedule(plan, false);
    ASSERT_GE(roomy.chosen, 0);
    EXPECT_FALSE(roomy.candidates[size_t(roomy.chosen)].recompute); // an extra forward only costs time
    // Two units a stage: 240 bytes of state, and per micro-batch 1,600 of activations or 80 of input.
    // 2,500 bytes hold 1F1B's two micro-batches in flight only as inputs.
    for (PlanDeviceEntry& device : plan.devices)
        device.memoryBytes = 2500;
    const ScheduleChoice tight = chooseSchedule(plan, false);
    for (const ScheduleCandidate& candidate : tight.candidates) {
        if (!candidate.recompute) {
            EXPECT_FALSE(candidate.fits) << candidate.schedule;
        }
    }
    ASSERT_GE(tight.chosen, 0);
    const ScheduleCandidate& chosen = tight.candidates[size_t(tight.chosen)];
    EXPECT_TRUE(chosen.recompute);
    EXPECT_TRUE(chosen.fits);
    EXPECT_TRUE(chosen.exact);
    EXPECT_LE(largestStage(chosen.prediction).memoryBytes, 2500);
}

TEST(Prediction, LpmAsyncRunsAFullPipelineInSteadyState)
{
    const int p = 4, m = 8;
    const Prediction prediction = predictPlan(uniformPlan(p, p, "lpm-async", m));
    EXPECT_NEAR(prediction.iterationSeconds, m * (kForward + kBackward), 1e-12);
    EXPECT_NEAR(prediction.bubbleFraction, 0.0, 1e-9);
    EXPECT_NEAR(prediction.speedup, double(p), 1e-9);
    // lpm (update unlocking, no flush) lies between the flushed 1F1B and the full pipeline.
    const Prediction lpm = predictPlan(uniformPlan(p, p, "lpm", m));
    EXPECT_LE(lpm.iterationSeconds, predictPlan(uniformPlan(p, p, "1f1b", m)).iterationSeconds + 1e-12);
    EXPECT_GE(lpm.iterationSeconds, prediction.iterationSeconds - 1e-12);
}

TEST(Prediction, StageTimesComeFromCostsLinksAndSharing)
{
    Plan plan = uniformPlan(4, 2, "1f1b", 2, 1e6, 1e-3);
    plan.stages = {{0, 2, 0}, {3, 3, 1}};
    plan.devices[1].sharedBy = 2;
    plan.costs.devices[0].updateSecondsPerParameter = 1e-6;
    const std::vector<StageTimes> times = stageTimesFor(plan);
    ASSERT_EQ(times.size(), 2u);
    EXPECT_DOUBLE_EQ(times[0].forward, 3 * kForward);
    EXPECT_DOUBLE_EQ(times[0].backward, 3 * kBackward);
    EXPECT_DOUBLE_EQ(times[0].transferIn, 0.0);
    EXPECT_DOUBLE_EQ(times[0].update, 3 * 10 * 1e-6); // 30 parameters
    // Two stages share device 1: each gets half its rate.
    EXPECT_DOUBLE_EQ(times[1].forward, 2 * kForward);
    // Unit 2's output for 8 samples over the link: latency + 800 B / 1e6 B/s.
    EXPECT_DOUBLE_EQ(times[1].transferIn, 1e-3 + 800.0 / 1e6);
    const Prediction prediction = predictPlan(plan);
    EXPECT_DOUBLE_EQ(prediction.stages[1].communicationSeconds, 2 * (1e-3 + 800.0 / 1e6));
    // Sharing does not slow the sequential reference, which has a device to itself.
    EXPECT_NEAR(prediction.sequentialSeconds, 2 * 4 * (kForward + kBackward) + 40 * 1e-6, 1e-12);
}

TEST(Prediction, DataParallelPaysARingAllReduceAndAWeightsCopy)
{
    const int p = 4;
    Plan plan = uniformPlan(3, p, "dp", 8, 1e6, 1e-5);
    plan.costs.devices[0].updateSecondsPerParameter = 1e-6;
    const std::vector<StageTimes> times = stageTimesFor(plan);
    const double bytes = 3 * 40;
    Plan single = uniformPlan(3, 1, "gpipe", 8, 1e6, 1e-5);
    single.costs.devices[0].updateSecondsPerParameter = 1e-6;
    ASSERT_GT(stageTimesFor(single)[0].update, 0.0);
    for (const StageTimes& t : times) {
        EXPECT_DOUBLE_EQ(t.forward, 3 * kForward);
        const double ring = 2.0 * (p - 1) * 1e-5 + 2.0 * (p - 1) / p * bytes / 1e6;
        EXPECT_DOUBLE_EQ(t.allReduce, ring + 1e-5 + bytes / 1e6);
        // Each replica steps a quarter of the weights (5 of the update's 6
        // passes) and zeroes all its gradients (the sixth).
        EXPECT_DOUBLE_EQ(t.update, stageTimesFor(single)[0].update * (5.0 / 6.0 / p + 1.0 / 6.0));
    }
    const Prediction prediction = predictPlan(plan);
    // Two micro-batches per replica, then the all-reduce, the update of a share and the copy.
    EXPECT_NEAR(prediction.iterationSeconds, 2 * 3 * (kForward + kBackward) + times[0].allReduce + times[0].update,
                1e-12);
}

TEST(Prediction, TheFirstStageGathersTheMiniBatch)
{
    Plan plan = uniformPlan(4, 2, "1f1b", 4);
    plan.costs.devices[0].inputSecondsPerSample = 1e-6;
    const double gather = double(plan.batch) * 1e-6;
    const std::vector<StageTimes> times = stageTimesFor(plan);
    EXPECT_DOUBLE_EQ(times[0].prepareInput, gather);
    EXPECT_EQ(times[1].prepareInput, 0.0);
    Plan without = plan;
    without.costs.devices[0].inputSecondsPerSample = 0.0;
    EXPECT_GT(predictRunSeconds(plan, 2), predictRunSeconds(without, 2));
    // The sequential trainer loads its batches outside its timing: the reference does not gather.
    EXPECT_EQ(predictPlan(plan).sequentialSeconds, predictPlan(without).sequentialSeconds);
    // dp: every replica starts at unit 0 and waits for the one gather.
    Plan dp = uniformPlan(4, 2, "dp", 4);
    dp.costs.devices[0].inputSecondsPerSample = 1e-6;
    for (const StageTimes& t : stageTimesFor(dp))
        EXPECT_DOUBLE_EQ(t.prepareInput, gather);
}

TEST(Prediction, DataParallelOnCpuCoresSumsAndCopiesInMemory)
{
    // Replicas on CPU cores add and copy in the host's memory, at the rate of
    // the profile's update (6 fp32 passes per parameter), whatever the link says.
    const int p = 2;
    Plan plan = uniformPlan(3, p, "dp", 8, 1e30, 2e-6);
    plan.costs.devices[0].device = "cpu";
    plan.costs.devices[0].updateSecondsPerParameter = 24e-9; // 1 ns per byte
    for (PlanDeviceEntry& device : plan.devices)
        device.costsDevice = "cpu";
    const double bytes = 3 * 40;
    const double perByte = 1e-9;
    // The sum: each replica adds the other's half (2 reads, 1 write per float); the copy: 1 read, 1 write.
    const double expected = (3.0 * (p - 1) / p * bytes + 2.0 * bytes) * perByte + 4 * 2e-6;
    for (const StageTimes& t : stageTimesFor(plan))
        EXPECT_NEAR(t.allReduce, expected, 1e-18);
    // On devices with memories of their own the link carries it: at 1e30 B/s, only latencies.
    Plan separate = uniformPlan(3, p, "dp", 8, 1e30, 2e-6);
    separate.costs.devices[0].updateSecondsPerParameter = 24e-9;
    EXPECT_NEAR(stageTimesFor(separate)[0].allReduce, (2.0 * (p - 1) + 1) * 2e-6, 1e-15);
}

TEST(Prediction, ARunPaysOneFillAndOneDrainBesideTheSteadyState)
{
    // gpipe flushes after every mini-batch: a run of 3 is 3 periods.
    const Plan flushed = uniformPlan(4, 2, "gpipe", 4);
    EXPECT_NEAR(predictRunSeconds(flushed, 3), 3 * predictIterationSeconds(flushed), 1e-12);
    // lpm-async overlaps consecutive mini-batches: a short run is slower per
    // mini-batch than the steady state, by its one fill and drain.
    const Plan overlapped = uniformPlan(4, 2, "lpm-async", 4);
    const double period = predictIterationSeconds(overlapped);
    EXPECT_NEAR(predictRunSeconds(overlapped, 1 + kSteadyMiniBatches) - predictRunSeconds(overlapped, 1),
                kSteadyMiniBatches * period, 1e-12);
    EXPECT_GT(predictRunSeconds(overlapped, 4) / 4, period * (1 + 1e-9));
    expectError<InvalidArgument>([&] { predictRunSeconds(overlapped, 0); }, {"at least 1 mini-batch", "got 0"});
}

TEST(Prediction, SequentialReferenceIsTheFastestDevice)
{
    Plan plan = uniformPlan(2, 2, "1f1b", 2);
    plan.costs.devices.push_back({"fast", "test", {{kForward / 4, kBackward / 4}, {kForward / 4, kBackward / 4}}, 0.0});
    plan.devices[1].costsDevice = "fast";
    const Prediction prediction = predictPlan(plan);
    EXPECT_EQ(prediction.sequentialDevice, "d1");
    EXPECT_NEAR(prediction.sequentialSeconds, 2 * 2 * (kForward + kBackward) / 4, 1e-12);
    // The partitioning problem measures speeds against the fast kind.
    const PartitionProblem problem = partitionProblemFor(plan);
    EXPECT_DOUBLE_EQ(problem.unitSeconds[0], (kForward + kBackward) / 4);
    EXPECT_DOUBLE_EQ(problem.devices[0].speed, 0.25);
    EXPECT_DOUBLE_EQ(problem.devices[1].speed, 1.0);
    EXPECT_EQ(problem.staticBytes[0], 3 * 40);
    EXPECT_EQ(problem.outputBytes[0], 100 * 8);
    EXPECT_EQ(problem.inflightMicroBatches, 2);
}

TEST(Prediction, TimelineCoversTheRequestedMiniBatches)
{
    const Prediction prediction = predictPlan(uniformPlan(3, 3, "lpm", 4, 1e6, 1e-4), 2);
    int forwards = 0;
    for (const TimelineEvent& event : prediction.timeline.events)
        forwards += event.kind == ActionKind::Forward;
    EXPECT_EQ(forwards, 2 * 4 * 3);
    // Activations and gradients cross the 2 boundaries for 8 micro-batches.
    EXPECT_EQ(prediction.timeline.transfers.size(), size_t(2 * 2 * 8));
    for (const TimelineTransfer& transfer : prediction.timeline.transfers)
        EXPECT_NEAR(transfer.end - transfer.start, 1e-4 + 800.0 / 1e6, 1e-12);
    expectError<InvalidArgument>([] { predictPlan(uniformPlan(2, 2, "lpm", 2), 0); }, {"at least 1 mini-batch"});
}

TEST(Prediction, LpmChoosesStageCountsByThePredictedIterationTime)
{
    // One micro-batch cannot overlap anything: every cut only adds transfers.
    // The bottleneck still favours four stages; the simulated iteration does not.
    Plan plan = uniformPlan(8, 4, "1f1b", 1, 1e6, 1e-4);
    plan.partitioner = "optimal";
    partitionPlan(plan);
    EXPECT_EQ(plan.stages.size(), 4u);
    const double optimal = predictIterationSeconds(plan);
    plan.partitioner = "lpm";
    partitionPlan(plan); // bottleneck only
    EXPECT_EQ(plan.stages.size(), 4u);
    partitionPlanPredicted(plan);
    EXPECT_EQ(plan.stages.size(), 1u);
    EXPECT_LT(predictIterationSeconds(plan), optimal);
    // With many micro-batches the pipeline pays off again.
    plan.microBatches = 16;
    plan.batch = 8 * 16;
    partitionPlanPredicted(plan);
    EXPECT_EQ(plan.stages.size(), 4u);
    EXPECT_DOUBLE_EQ(predictIterationSeconds(plan), predictPlan(plan).iterationSeconds);
}

// --- edge cases ----------------------------------------------------------------

TEST(PlanEdgeCases, OneUnitAndOneDevice)
{
    for (const std::string& schedule : scheduleNames()) {
        SCOPED_TRACE(schedule);
        if (scheduleTraits(schedule).interleaved) // (needs 2 devices and a unit per chunk)
            continue;
        Plan plan = uniformPlan(1, 1, schedule, 4);
        partitionPlan(plan);
        ASSERT_EQ(plan.stages.size(), 1u);
        const Prediction prediction = predictPlan(plan);
        EXPECT_NEAR(prediction.speedup, 1.0, 1e-9);
        EXPECT_NEAR(prediction.bubbleFraction, 0.0, 1e-9);
    }
}

TEST(PlanEdgeCases, ZeroCostUnitsPredictNothingAndNoNaN)
{
    Plan plan = uniformPlan(3, 3, "1f1b", 2);
    for (UnitTimes& unit : plan.costs.devices[0].units)
        unit = {0.0, 0.0};
    partitionPlan(plan);
    const Prediction prediction = predictPlan(plan);
    EXPECT_EQ(prediction.iterationSeconds, 0.0);
    EXPECT_EQ(prediction.speedup, 0.0);
    EXPECT_EQ(prediction.samplesPerSecond, 0.0);
    EXPECT_EQ(prediction.bubbleFraction, 0.0);
}

TEST(PlanEdgeCases, MoreDevicesThanUnitsUsesFewerStages)
{
    for (const char* partitioner : {"lpm", "optimal", "balanced", "uniform"}) {
        SCOPED_TRACE(partitioner);
        Plan plan = uniformPlan(3, 8, "lpm", 4);
        plan.partitioner = partitioner;
        partitionPlan(plan);
        EXPECT_LE(plan.stages.size(), 3u);
        validatePlan(plan);
        EXPECT_GT(predictPlan(plan).speedup, 1.0);
    }
}

TEST(PlanEdgeCases, InfeasibleMemoryNamesTheStageAndTheBytesOver)
{
    Plan plan = uniformPlan(4, 2, "gpipe", 4);
    for (PlanDeviceEntry& device : plan.devices)
        device.memoryBytes = 100; // 4 units need 4 · 120 static bytes at least
    expectError<InvalidArgument>([&] { partitionPlan(plan); }, {"does not fit in memory", "stage", "bytes"});
    Plan whole = uniformPlan(4, 2, "dp", 4);
    whole.devices[1].memoryBytes = 100;
    expectError<InvalidArgument>([&] { partitionPlan(whole); }, {"does not fit in memory", "d1"});
}

TEST(PlanEdgeCases, MicroBatchesMustDivideTheBatch)
{
    expectError<InvalidArgument>([] { requireEqualMicroBatches(64, 5); },
                                 {"5 micro-batches do not divide the batch 64"});
    expectError<InvalidArgument>([] { requireEqualMicroBatches(4, 8); }, {"between 1 and the batch 4, got 8"});
    Plan plan = uniformPlan(2, 2, "lpm", 4);
    plan.batch = 30;
    expectError<InvalidArgument>([&] { validatePlan(plan); }, {"do not divide the batch 30"});
}

TEST(PlanEdgeCases, FewerMicroBatchesThanStages)
{
    for (const std::string schedule : {"gpipe", "1f1b", "lpm", "lpm-async", "dp"}) {
        SCOPED_TRACE(schedule);
        Plan plan = uniformPlan(4, 4, schedule, 1);
        partitionPlan(plan);
        const Prediction prediction = predictPlan(plan);
        EXPECT_GT(prediction.iterationSeconds, 0.0);
        if (schedule == "gpipe" || schedule == "1f1b") {
            EXPECT_NEAR(prediction.speedup, 1.0, 1e-9); // one micro-batch walks the pipeline alone
        }
    }
}

TEST(PlanValidation, InconsistentPlansAreNamed)
{
    const Plan good = uniformPlan(4, 2, "1f1b", 2);
    Plan plan = good;
    plan.stages = {{0, 1, 0}, {3, 3, 1}};
    expectError<InvalidArgument>([&] { validatePlan(plan); }, {"stage 1 holds units 3..3", "from 2"});
    plan.stages = {{0, 1, 0}, {2, 2, 1}};
    expectError<InvalidArgument>([&] { validatePlan(plan); }, {"end at unit 2", "4 units"});
    plan.stages = {{0, 1, 1}, {2, 3, 0}};
    expectError<InvalidArgument>([&] { validatePlan(plan); }, {"stage 0 must run on device 0"});
    plan = good;
    plan.schedule = "zigzag";
    expectError<InvalidArgument>([&] { validatePlan(plan); }, {"unknown schedule 'zigzag'", "gpipe"});
    plan = good;
    plan.devices[0].costsDevice = "H100";
    expectError<InvalidArgument>([&] { validatePlan(plan); }, {"'H100'"});
    plan = good;
    plan.devices[0].linkToNext.bytesPerSecond = 0.0;
    expectError<InvalidArgument>([&] { validatePlan(plan); }, {"link after device d0"});
    plan = good;
    plan.optimizer = "lion";
    expectError<InvalidArgument>([&] { validatePlan(plan); }, {"unknown optimizer 'lion'"});
}

// A run of `miniBatches` mini-batches of `plan`'s schedule whose actions take `actual`: what the executor
// would measure if the stages ran at those times.
Timeline runAt(const Plan& plan, const std::vector<StageTimes>& actual, int miniBatches)
{
    return simulateSchedule(buildSchedule(plan.schedule, int(plan.stages.size()), int(plan.microBatches), miniBatches),
                            actual)
        .timeline;
}

// `plan` with a nonzero update rate and gather, so that calibration has all of them to get right.
Plan withUpdateAndGather(Plan plan)
{
    plan.costs.devices[0].updateSecondsPerParameter = 1e-4;
    plan.costs.devices[0].inputSecondsPerSample = 2e-5;
    return plan;
}

TEST(Calibration, PipelinedStagesGetTheMeasuredTimesBack)
{
    for (const char* schedule : {"gpipe", "1f1b", "lpm", "lpm-async", "zb-h1", "lpm-zb"}) {
        SCOPED_TRACE(schedule);
        const Plan plan = withUpdateAndGather(uniformPlan(4, 2, schedule, 4));
        const std::vector<StageTimes> predicted = stageTimesFor(plan);
        ASSERT_GT(predicted[0].prepareInput, 0.0);
        std::vector<StageTimes> actual = predicted;
        actual[0].forward *= 1.3;
        actual[0].backward *= 1.2;
        actual[0].weightGradient *= 1.2; // (costs keep W's share of the backward: its FLOPs')
        actual[1].forward *= 1.5;
        actual[1].backward *= 1.1;
        actual[1].weightGradient *= 1.1;
        for (StageTimes& stage : actual)
            stage.update *= 1.4;
        // The first mini-batch is left out (in a real run it starts cold): make it slower still.
        std::vector<StageTimes> cold = actual;
        for (StageTimes& stage : cold)
            stage.forward *= 3.0;
        Timeline measured = runAt(plan, cold, 1);
        const Timeline warm = runAt(plan, actual, 3);
        for (TimelineEvent event : warm.events) {
            event.miniBatch += 1;
            measured.events.push_back(event);
        }

        EXPECT_EQ(firstWarmMiniBatch(measured), 1);
        EXPECT_EQ(firstWarmMiniBatch(runAt(plan, actual, 1)), 0); // one mini-batch: it must count
        EXPECT_EQ(firstWarmMiniBatch(Timeline{}), 0);
        Plan calibrated = plan;
        calibrated.costs = calibrateCosts(plan, measured, 1);
        const std::vector<StageTimes> times = stageTimesFor(calibrated);
        for (size_t s = 0; s < times.size(); ++s) {
            EXPECT_NEAR(times[s].forward, actual[s].forward, 1e-12);
            EXPECT_NEAR(times[s].backward, actual[s].backward, 1e-12);
            EXPECT_NEAR(times[s].weightGradient, actual[s].weightGradient, 1e-12);
            EXPECT_NEAR(times[s].update, actual[s].update, 1e-12);
            EXPECT_DOUBLE_EQ(times[s].prepareInput, predicted[s].prepareInput);
            EXPECT_DOUBLE_EQ(times[s].transferIn, predicted[s].transferIn);
        }
        EXPECT_NEAR(predictRunSeconds(calibrated, 3),
                    simulateSchedule(buildSchedule(schedule, 2, 4, 3), actual).makespanSeconds, 1e-12);
        EXPECT_THAT(calibrated.costs.devices[0].source, ::testing::HasSubstr("calibrated on a measured"));
        EXPECT_EQ(calibrated.costs.devices[0].calibratedOn, schedule);
        EXPECT_THAT(calibrated.costs.devices[0].source, ::testing::HasSubstr("1.30/1.20, 1.50/1.10"));
        EXPECT_THAT(calibrated.costs.devices[0].source, ::testing::HasSubstr("update ×1.40"));
        // The costs, not only this cut, changed: the units of stage 1 are the slower ones.
        EXPECT_NEAR(calibrated.costs.devices[0].units[3].forwardSeconds, 1.5 * kForward, 1e-15);
        EXPECT_NEAR(calibrated.costs.devices[0].units[0].backwardSeconds, 1.2 * kBackward, 1e-15);
    }
}

TEST(Calibration, AStretchOfSlowMiniBatchesDoesNotMoveIt)
{
    for (const char* schedule : {"1f1b", "lpm", "dp"}) {
        SCOPED_TRACE(schedule);
        const Plan plan = withUpdateAndGather(uniformPlan(4, 2, schedule, 4));
        const Timeline steady = runAt(plan, stageTimesFor(plan), 7);
        // Mini-batches 2 … 4 (3 of 7) ran at 1.8 × on stage 0, as the shared VMs do for some 100 ms at a time.
        Timeline slowed = steady;
        for (TimelineEvent& event : slowed.events)
            if (event.stage == 0 && event.miniBatch >= 2 && event.miniBatch <= 4)
                event.end = event.start + 1.8 * (event.end - event.start);
        const std::vector<StageTimes> meanSteady = measuredStageTimes(steady, stageTimesFor(plan));
        const std::vector<StageTimes> meanSlowed = measuredStageTimes(slowed, stageTimesFor(plan));
        ASSERT_GT(meanSlowed[0].backward, 1.3 * meanSteady[0].backward); // a mean follows the stretch
        EXPECT_GT(
            calibrateCosts(plan, slowed, 0, CalibrationStatistic::Mean).devices[0].units[0].backwardSeconds,
            1.3 * calibrateCosts(plan, steady, 0, CalibrationStatistic::Mean).devices[0].units[0].backwardSeconds);
        const ModelCosts fromSteady = calibrateCosts(plan, steady);
        const ModelCosts fromSlowed = calibrateCosts(plan, slowed);
        ASSERT_EQ(fromSteady.devices[0].units.size(), fromSlowed.devices[0].units.size());
        for (size_t u = 0; u < fromSteady.devices[0].units.size(); ++u) {
            EXPECT_NEAR(fromSlowed.devices[0].units[u].forwardSeconds, fromSteady.devices[0].units[u].forwardSeconds,
                        1e-15);
            EXPECT_NEAR(fromSlowed.devices[0].units[u].backwardSeconds, fromSteady.devices[0].units[u].backwardSeconds,
                        1e-15);
        }
        EXPECT_NEAR(fromSlowed.devices[0].updateSecondsPerParameter, fromSteady.devices[0].updateSecondsPerParameter,
                    1e-15);
        EXPECT_NEAR(fromSteady.devices[0].updateSecondsPerParameter, 1e-4, 1e-15); // the steady run is the prediction
    }
}

TEST(Calibration, DataParallelReplicasTakeTheSlowestRatio)
{
    for (const bool hostMemory : {false, true}) {
        SCOPED_TRACE(hostMemory ? "cpu replicas" : "linked replicas");
        Plan plan = withUpdateAndGather(uniformPlan(4, 2, "dp", 4));
        if (hostMemory) {
            plan.costs.devices[0].device = "cpu";
            for (PlanDeviceEntry& device : plan.devices)
                device.costsDevice = "cpu";
        }
        const std::vector<StageTimes> predicted = stageTimesFor(plan);
        ASSERT_GT(predicted[0].allReduce, 0.0);
        std::vector<StageTimes> actual = predicted;
        actual[0].backward *= 1.5;
        actual[1].backward *= 1.1;
        for (StageTimes& stage : actual) {
            stage.forward *= 1.25;
            stage.update *= 1.4;
            // On host memory the exchange runs at the update's rate; over links it does not.
            stage.allReduce *= hostMemory ? 1.4 : 2.0;
        }
        const ModelCosts costs = calibrateCosts(plan, runAt(plan, actual, 2));
        for (const UnitTimes& unit : costs.devices[0].units) {
            EXPECT_NEAR(unit.forwardSeconds, 1.25 * kForward, 1e-15);
            EXPECT_NEAR(unit.backwardSeconds, 1.5 * kBackward, 1e-15); // the slower replica's
        }
        EXPECT_NEAR(costs.devices[0].updateSecondsPerParameter, 1.4e-4, 1e-15);
    }
}

TEST(Calibration, TimelinesThatDoNotFitThePlanAreRefused)
{
    const Plan plan = uniformPlan(6, 2, "lpm", 2);
    const Plan three = uniformPlan(6, 3, "lpm", 2);
    expectError<InvalidArgument>([&] { calibrateCosts(plan, runAt(three, stageTimesFor(three), 1)); },
                                 {"timeline has 3 stages", "plan 2"});
    expectError<InvalidArgument>([&] { calibrateCosts(plan, runAt(plan, stageTimesFor(plan), 2), 2); },
                                 {"stage 0 has no measured forward", "from mini-batch 2"});
}

} // namespace
} // namespace lpm
