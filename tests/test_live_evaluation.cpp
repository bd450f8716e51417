// Live evaluation (issue 18): the executor's snapshots are the weights and
// batch-norm statistics after their step (bit for bit those of `sequential`
// under exact schedules, also where stages train copies in their own memory),
// a stopped run hands out only complete ones, and taking them changes nothing;
// the trainer's live evaluation leaves the weights digest of every schedule as
// it is and gives a 200-step run a point at least every 5 % of its steps.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "data/synthetic_dataset.h"
#include "expect_error.h"
#include "forwarding_backend.h"
#include "nn/model_zoo.h"
#include "pipeline/executor.h"
#include "train/live_evaluation.h"
#include "train/trainer.h"
#include "train/training_step.h"

namespace lpm {
namespace {

constexpr uint64_t kSeed = 5;
constexpr int64_t kBatch = 16;
constexpr int64_t kMicroBatches = 4;

const DatasetSplits& data()
{
    static const DatasetSplits splits = [] {
        SyntheticOptions options;
        options.trainCount = 160; // 10 mini-batches of 16: runs cross epochs
        options.testCount = 300;  // more than the live subset (256)
        options.seed = 3;
        return makeSyntheticDataset(options);
    }();
    return splits;
}

// The weights and buffers of a whole model, on the host.
struct Weights {
    std::vector<float> values, buffers;
    bool operator==(const Weights&) const = default;
};

Weights weightsOf(const ParameterStore& store)
{
    store.copyToHost();
    return {{store.hostValues(), store.hostValues() + store.parameterCount()},
            {store.hostBuffers(), store.hostBuffers() + store.bufferCount()}};
}

// [k]: the weights after k + 1 sequential steps.
std::vector<Weights> sequentialWeights(const std::string& modelName, int steps)
{
    Model model = buildModel(modelName);
    ParameterStore store(model);
    store.initialize(kSeed);
    auto optimizer = makeOptimizer({}, store);
    CpuBackend backend(1);
    const Batcher batcher(data().train, kBatch, kSeed);
    std::vector<Weights> after;
    for (int step = 0; step < steps; ++step) {
        runTrainingStep(backend, model, store, *optimizer, batcher.batchAt(step), kMicroBatches, kSeed, step);
        after.push_back(weightsOf(store));
    }
    return after;
}

Partition stagesFor(const Model& model, const std::string& schedule, int stages)
{
    Partition partition;
    const int units = model.unitCount();
    for (int s = 0; s < stages; ++s)
        partition.push_back(schedule == "dp" ? PlannedStage{0, units - 1, s}
                                             : PlannedStage{s * units / stages, (s + 1) * units / stages - 1, s});
    return partition;
}

struct SnapshotRun {
    Weights final;
    std::vector<WeightsSnapshot> snapshots; // in the order received
    std::map<int64_t, int> asked;           // step: calls of `due`
    PipelineRun run;
};

// `steps` mini-batches from global step 0; `due` picks the snapshots (null: none
// asked for). `offHost`: every stage computes in a memory of its own (a
// StageCopy of its units, given back after the run).
SnapshotRun runWithSnapshots(const std::string& modelName, const std::string& schedule, int stages, int steps,
                             const std::function<bool(int64_t)>& due, bool offHost = false, bool weightStash = false,
                             const std::atomic<bool>* stop = nullptr,
                             const std::function<void(int64_t, const StepResult&)>& onStep = {})
{
    Model model = buildModel(modelName);
    ParameterStore store(model);
    store.initialize(kSeed);
    auto optimizer = makeOptimizer({}, store);
    const Batcher batcher(data().train, kBatch, kSeed);
    PipelineExecutor::StageBackendFactory stageBackend;
    if (offHost)
        stageBackend = [](int) { return std::make_unique<OffHostCpuBackend>(); };
    PipelineExecutor executor(model, store, *optimizer, stagesFor(model, schedule, stages), schedule, kMicroBatches,
                              kSeed, weightStash, stageBackend);
    SnapshotRun result;
    SnapshotRequest request;
    request.due = [&](int64_t step) {
        ++result.asked[step]; // (under the run's lock)
        return due(step);
    };
    request.received = [&](const WeightsSnapshot& snapshot) { result.snapshots.push_back(snapshot); };
    result.run = executor.run([&](int64_t step) { return batcher.batchAt(step); }, 0, steps, stop, onStep,
                              due ? &request : nullptr);
    result.final = weightsOf(store);
    return result;
}

bool everyStep(int64_t)
{
    return true;
}

Weights weightsOf(const WeightsSnapshot& snapshot)
{
    return {snapshot.values, snapshot.buffers};
}

// --- the subset -----------------------------------------------------------------

TEST(LiveEvaluationSubset, IsFixedBySeedAndDrawnFromTheTestSet)
{
    const Dataset& test = data().test;
    const Dataset subset = sampleSubset(test, 40, 9);
    EXPECT_EQ(subset.count, 40);
    EXPECT_EQ(subset.labels.size(), 40u);
    EXPECT_EQ(int64_t(subset.images.size()), 40 * test.sampleSize());
    EXPECT_EQ(subset.sampleShape(), test.sampleShape());
    EXPECT_EQ(sampleSubset(test, 40, 9).images, subset.images); // the same seed, the same samples
    EXPECT_NE(sampleSubset(test, 40, 10).images, subset.images);
    // Every sample is a distinct test sample, in the test set's order, with its label.
    int64_t previous = -1;
    for (int64_t k = 0; k < subset.count; ++k) {
        const auto image = subset.images.begin() + k * test.sampleSize();
        int64_t found = -1;
        for (int64_t n = 0; n < test.count && found < 0; ++n)
            if (std::equal(image, image + test.sampleSize(), test.images.begin() + n * test.sampleSize()))
                found = n;
        ASSERT_GT(found, previous) << "sample " << k;
        EXPECT_EQ(subset.labels[size_t(k)], test.labels[size_t(found)]);
        previous = found;
    }
    EXPECT_EQ(sampleSubset(test, 1000, 9).count, test.count); // no more than there is
}

// --- the executor's snapshots -----------------------------------------------------

// gpipe, 1f1b and lpm: the snapshot of step k is bit for bit the weights and
// batch-norm statistics of k + 1 sequential steps, whether the stages train
// the trainer's store or copies in their own memory.
TEST(ExecutorSnapshots, ExactSchedulesSnapshotTheSequentialWeightsOfTheirStep)
{
    const int steps = 4;
    const std::vector<Weights> reference = sequentialWeights("resnet-mini", steps);
    for (const char* schedule : {"gpipe", "1f1b", "lpm"})
        for (int stages : {2, 3})
            for (bool offHost : {false, true}) {
                SCOPED_TRACE(std::string(schedule) + " stages " + std::to_string(stages)
                             + (offHost ? " in their own memory" : ""));
                const SnapshotRun run = runWithSnapshots("resnet-mini", schedule, stages, steps, everyStep, offHost);
                ASSERT_EQ(run.snapshots.size(), size_t(steps));
                for (int k = 0; k < steps; ++k) {
                    EXPECT_EQ(run.snapshots[size_t(k)].step, k);
                    EXPECT_TRUE(weightsOf(run.snapshots[size_t(k)]) == reference[size_t(k)]) << "step " << k + 1;
                    EXPECT_EQ(run.asked.at(k), 1);
                }
                EXPECT_TRUE(run.final == reference.back());
            }
}

// Every schedule: the weights are those of the same run without snapshots,
// and the last snapshot is the weights the run leaves. (lpm-async: each
// stage's buffers from before the next mini-batch's forwards, as a stop
// would leave them.)
TEST(ExecutorSnapshots, LeaveTheWeightsOfEverySchedule)
{
    const int steps = 6;
    struct Case {
        const char* schedule;
        int stages;
        bool offHost, weightStash;
    };
    for (const Case& c :
         {Case{"lpm", 3, false, false}, Case{"lpm-async", 3, false, false}, Case{"lpm-async", 3, false, true},
          Case{"lpm-async", 2, true, false}, Case{"dp", 2, false, false}, Case{"gpipe", 2, false, false}}) {
        SCOPED_TRACE(std::string(c.schedule) + " stages " + std::to_string(c.stages)
                     + (c.offHost ? " in their own memory" : "") + (c.weightStash ? " weight stash" : ""));
        const SnapshotRun plain =
            runWithSnapshots("resnet-mini", c.schedule, c.stages, steps, {}, c.offHost, c.weightStash);
        EXPECT_TRUE(plain.snapshots.empty());
        const SnapshotRun live =
            runWithSnapshots("resnet-mini", c.schedule, c.stages, steps, everyStep, c.offHost, c.weightStash);
        EXPECT_TRUE(live.final == plain.final);
        ASSERT_EQ(live.snapshots.size(), size_t(steps));
        for (int k = 0; k < steps; ++k)
            EXPECT_EQ(live.snapshots[size_t(k)].step, k);
        EXPECT_TRUE(weightsOf(live.snapshots.back()) == live.final);
        // Training moves the weights: consecutive snapshots differ.
        EXPECT_NE(live.snapshots[0].values, live.snapshots[1].values);
    }
}

TEST(ExecutorSnapshots, DueIsAskedOncePerStepAndOnlyThoseChosenAreTaken)
{
    const int steps = 7;
    for (const char* schedule : {"lpm", "lpm-async", "dp"}) {
        SCOPED_TRACE(schedule);
        const SnapshotRun run = runWithSnapshots("mlp", schedule, 2, steps, [](int64_t step) { return step % 3 == 1; });
        std::vector<int64_t> taken;
        for (const WeightsSnapshot& snapshot : run.snapshots)
            taken.push_back(snapshot.step);
        EXPECT_EQ(taken, (std::vector<int64_t>{1, 4}));
        ASSERT_EQ(run.asked.size(), size_t(steps));
        for (const auto& [step, calls] : run.asked)
            EXPECT_EQ(calls, 1) << "step " << step;
    }
}

// A stop: snapshots come for exactly the steps trained, each complete (the
// last is the weights the stopped run leaves), none for cancelled steps.
TEST(ExecutorSnapshots, AStoppedRunHandsOutOnlyCompleteSnapshots)
{
    for (int repeat = 0; repeat < 24; ++repeat) {
        const std::string schedule = std::vector<std::string>{"gpipe", "lpm", "lpm-async", "dp"}[size_t(repeat % 4)];
        SCOPED_TRACE(schedule + " repeat " + std::to_string(repeat));
        std::atomic<bool> stop{false};
        const int stopAfter = 1 + repeat % 5;
        const SnapshotRun run = runWithSnapshots("resnet-mini", schedule, 2, 20, everyStep, repeat % 8 == 1, false,
                                                 &stop, [&](int64_t step, const StepResult&) {
                                                     if (step + 1 == stopAfter)
                                                         stop = true;
                                                 });
        EXPECT_TRUE(run.run.stopped);
        const size_t trained = run.run.steps.size();
        ASSERT_EQ(run.snapshots.size(), trained);
        for (size_t k = 0; k < trained; ++k)
            EXPECT_EQ(run.snapshots[k].step, int64_t(k));
        EXPECT_TRUE(weightsOf(run.snapshots.back()) == run.final);
    }
}

// --- the trainer ------------------------------------------------------------------

TrainOptions liveOptions(const std::string& schedule, int64_t steps, bool live)
{
    TrainOptions options;
    options.model = "resnet-mini";
    options.steps = steps;
    options.batch = kBatch;
    options.microBatches = kMicroBatches;
    options.seed = kSeed;
    options.schedule = schedule;
    const int units = buildModel(options.model).unitCount();
    if (schedule == "dp")
        options.stages = {{0, units - 1, 0}, {0, units - 1, 1}};
    else if (schedule != "sequential")
        options.stages = {{0, units / 2 - 1, 0}, {units / 2, units - 1, 1}};
    options.liveEvaluation = live;
    return options;
}

struct TrainedRun {
    TrainSummary summary;
    std::vector<TrainProgress> subsetReports; // those with a fresh subset evaluation
};

TrainedRun trainLive(const TrainOptions& options)
{
    Trainer trainer(options, data());
    TrainedRun result;
    result.summary = trainer.run([&](const TrainProgress& progress) {
        if (progress.subsetEvaluated)
            result.subsetReports.push_back(progress);
    });
    return result;
}

// Live evaluation on and off: the same weights digest under every schedule
// (12 steps: across an epoch's end, where the test set is evaluated too).
TEST(TrainerLiveEvaluation, LeavesTheWeightsDigestUnchanged)
{
    for (const char* schedule : {"sequential", "lpm", "lpm-async", "dp", "gpipe", "1f1b"}) {
        SCOPED_TRACE(schedule);
        const TrainedRun off = trainLive(liveOptions(schedule, 12, false));
        const TrainedRun on = trainLive(liveOptions(schedule, 12, true));
        EXPECT_EQ(on.summary.weightsDigest, off.summary.weightsDigest);
        EXPECT_EQ(off.summary.liveEvaluations, 0);
        EXPECT_TRUE(off.subsetReports.empty());
        EXPECT_GE(on.summary.liveEvaluations, 12); // every step: 12 / 20 rounds down to 0
        EXPECT_EQ(int64_t(on.subsetReports.size()), on.summary.liveEvaluations);
        EXPECT_EQ(on.summary.testAccuracy, off.summary.testAccuracy);
    }
}

// The subset grows with the run, so that its 20 evaluations stay a small share of it.
// Bad arguments and a snapshot of another model are refused, naming what was wrong.
TEST(LiveEvaluationSubset, RefusesBadArgumentsWithTheirValues)
{
    const Dataset& test = data().test;
    expectError<InvalidArgument>([&] { LiveEvaluation("mlp", test, 0, 1, 100); },
                                 {"live evaluation needs at least 1 sample", "got 0"});
    expectError<InvalidArgument>([&] { LiveEvaluation("mlp", test, 64, 1, 0); },
                                 {"evaluation batch must be at least 1", "got 0"});
    expectError<InvalidArgument>([&] { sampleSubset(test, -1, 1); },
                                 {"subset of " + test.name, "negative sample count -1"});
    LiveEvaluation live("mlp", test, 64, 1, 100);
    live.startRun(10, 64);
    CpuBackend backend(1);
    WeightsSnapshot wrong;
    wrong.values.assign(10, 0.0f);
    expectError<InvalidArgument>([&] { live.evaluate(backend, wrong); },
                                 {"a snapshot of 10 parameters", "for model mlp"});
}

TEST(LiveEvaluationSubset, GrowsWithTheRunBetweenItsBounds)
{
    EXPECT_EQ(liveEvaluationSamplesFor(640, 256), kLiveEvaluationMinSamples); // a 10-step run
    EXPECT_EQ(liveEvaluationSamplesFor(80 * 256, 256), 64);                   // the default example
    EXPECT_EQ(liveEvaluationSamplesFor(40000, 256), 100);
    EXPECT_EQ(liveEvaluationSamplesFor(60000, 256), 150);  // an epoch
    EXPECT_EQ(liveEvaluationSamplesFor(180000, 256), 256); // three epochs
    EXPECT_EQ(liveEvaluationSamplesFor(180000, 32), 32);   // --live-eval-samples 32
    // Its 20 evaluations (forward only, a third of a training pass) stay under 2 % of
    // the training compute wherever the lower bound does not hold them up.
    for (int64_t samples : {int64_t{30000}, int64_t{60000}, int64_t{102400}})
        EXPECT_LE(20.0 * double(liveEvaluationSamplesFor(samples, 256)) / (3.0 * double(samples)), 0.02);
}

// A 200-step run: a live point at least every 10 steps (5 %) and at the end,
// each of the fixed 256-sample subset, reported in order. Under lpm (exact)
// the points of the steps both runs evaluate equal sequential's bit for bit:
// the snapshots are the weights of their step.
TEST(TrainerLiveEvaluation, TheAccuracyCurveGetsAPointEvery5PercentOfA200StepRun)
{
    std::map<std::string, std::map<int64_t, double>> accuracyAt; // schedule: step: accuracy
    for (const char* schedule : {"sequential", "lpm"}) {
        SCOPED_TRACE(schedule);
        TrainOptions options = liveOptions(schedule, 200, true);
        options.model = "mlp";
        options.stages = {{0, 1, 0}, {2, buildModel("mlp").unitCount() - 1, 1}};
        if (options.schedule == "sequential")
            options.stages.clear();
        const TrainedRun run = trainLive(options);
        const std::vector<TrainProgress>& points = run.subsetReports;
        ASSERT_GE(points.size(), 20u);
        int64_t previous = 0;
        for (const TrainProgress& point : points) {
            EXPECT_GT(point.step, previous);
            EXPECT_LE(point.step - previous, 10);
            EXPECT_EQ(point.subsetSize, liveEvaluationSamplesFor(200 * options.batch, kLiveEvaluationSamples));
            EXPECT_GE(point.subsetAccuracy, 0.0);
            EXPECT_LE(point.subsetAccuracy, 1.0);
            accuracyAt[schedule][point.step] = point.subsetAccuracy;
            previous = point.step;
        }
        EXPECT_EQ(points.back().step, 200);
        EXPECT_EQ(run.summary.liveEvaluations, int64_t(points.size()));
        // The curve moves: training changes what the subset sees.
        EXPECT_NE(points.front().subsetAccuracy, points.back().subsetAccuracy);
    }
    int compared = 0;
    for (const auto& [step, accuracy] : accuracyAt["lpm"])
        if (accuracyAt["sequential"].contains(step)) {
            EXPECT_EQ(accuracy, accuracyAt["sequential"][step]) << "step " << step;
            ++compared;
        }
    EXPECT_GE(compared, 20); // every tenth step, in both runs
}

} // namespace
} // namespace lpm
