// Training in a backend's own memory, tested on the CPU: OffHostCpuBackend
// (tests/forwarding_backend.h) keeps every tensor, parameter, gradient,
// optimizer state and layer context in blocks it allocated, and fails when a
// compute call is handed anything else, as a GPU would. Every zoo model must
// then train bit for bit as on the plain CPU backend, the path the CUDA
// backend takes (weights placed with ParameterStore::placeOn).
#include <gtest/gtest.h>

#include <memory>

#include "backend/cpu/cpu_backend.h"
#include "data/synthetic_dataset.h"
#include "expect_error.h"
#include "forwarding_backend.h"
#include "nn/model_zoo.h"
#include "pipeline/executor.h"
#include "plan/profiler.h"
#include "train/training_step.h"

namespace lpm {
namespace {

const DatasetSplits& data()
{
    static const DatasetSplits splits = [] {
        SyntheticOptions options;
        options.trainCount = 64;
        options.testCount = 40;
        return makeSyntheticDataset(options);
    }();
    return splits;
}

struct RunResult {
    std::string digest;
    double lossSum = 0.0;
    EvaluationResult evaluation;
};

// Two steps of batch 16 in 2 micro-batches, then an evaluation.
RunResult train(Backend& backend, const std::string& modelName, const std::string& optimizerKind)
{
    Model model = buildModel(modelName);
    ParameterStore store(model);
    store.initialize(7);
    OptimizerOptions options;
    options.kind = optimizerKind;
    options.learningRate = optimizerKind == "adam" ? 1e-3f : 0.05f;
    options.momentum = 0.9f;
    std::unique_ptr<Optimizer> optimizer = makeOptimizer(options, store);
    store.placeOn(backend);
    optimizer->placeOn(backend);
    Batcher batcher(data().train, 16, 3);
    RunResult result;
    for (int64_t step = 0; step < 2; ++step)
        result.lossSum += runTrainingStep(backend, model, store, *optimizer, batcher.batchAt(step), 2, 11, step).lossSum;
    result.evaluation = evaluateModel(backend, model, data().test, 16);
    result.digest = weightsDigest(store);
    return result;
}

class OffHostTraining : public ::testing::TestWithParam<std::string> {};

TEST_P(OffHostTraining, EqualsTheCpuBitForBit)
{
    for (const char* optimizer : {"sgd", "adam"}) {
        CpuBackend cpu(1);
        const RunResult expected = train(cpu, GetParam(), optimizer);
        OffHostCpuBackend offHost;
        const RunResult got = train(offHost, GetParam(), optimizer);
        EXPECT_EQ(got.digest, expected.digest) << optimizer;
        EXPECT_EQ(got.lossSum, expected.lossSum) << optimizer;
        EXPECT_EQ(got.evaluation.accuracy, expected.evaluation.accuracy) << optimizer;
        EXPECT_EQ(got.evaluation.meanLoss, expected.evaluation.meanLoss) << optimizer;
        EXPECT_GT(offHost.device().allocations, 0);
        EXPECT_EQ(offHost.device().foreignPointers, 0);
    }
}

// Two pipeline stages, each with its own backend on one pretend GPU (the
// weights placed on a third, the trainer's): gpipe, 1f1b and lpm leave the
// sequential CPU run's weights bit for bit, and no stage ever hands a kernel
// memory outside that device. lpm-async (not exact) must run clean too.
TEST_P(OffHostTraining, PipelineStagesInOneDevicesMemoryEqualSequential)
{
    CpuBackend cpu(1);
    std::string expected;
    {
        Model model = buildModel(GetParam());
        ParameterStore store(model);
        store.initialize(7);
        std::unique_ptr<Optimizer> optimizer = makeOptimizer(OptimizerOptions{}, store);
        Batcher batcher(data().train, 16, 3);
        for (int64_t step = 0; step < 2; ++step)
            runTrainingStep(cpu, model, store, *optimizer, batcher.batchAt(step), 4, 11, step);
        expected = weightsDigest(store);
    }
    for (const char* schedule : {"gpipe", "1f1b", "lpm", "lpm-async"}) {
        auto device = std::make_shared<FakeDeviceMemory>();
        {
            OffHostCpuBackend owner(device);
            Model model = buildModel(GetParam());
            ParameterStore store(model);
            store.initialize(7);
            std::unique_ptr<Optimizer> optimizer = makeOptimizer(OptimizerOptions{}, store);
            store.placeOn(owner);
            optimizer->placeOn(owner);
            const int half = model.unitCount() / 2;
            const Partition stages = {{0, half - 1, 0}, {half, model.unitCount() - 1, 1}};
            PipelineExecutor executor(model, store, *optimizer, stages, schedule, 4, 11, false,
                                      [device](int) { return std::make_unique<OffHostCpuBackend>(device); });
            Batcher batcher(data().train, 16, 3);
            const PipelineRun run = executor.run([&](int64_t step) { return batcher.batchAt(step); }, 0, 2);
            EXPECT_EQ(run.steps.size(), 2u) << schedule;
            if (std::string(schedule) != "lpm-async") {
                EXPECT_EQ(weightsDigest(store), expected) << schedule;
            }
        }
        EXPECT_EQ(device->foreignPointers, 0) << schedule;
        EXPECT_GT(device->allocations, 0) << schedule;
    }
}

struct TwoStageRun {
    std::string digest;
    double lossSum = 0.0;
};

// Two stages of `model` under `schedule` (dp: two replicas; otherwise the
// units halved), 3 mini-batches of 16 in 4 micro-batches: on host memory
// when `device` is null, else with the weights placed in `device`'s memory
// and each stage on a backend of its own there.
TwoStageRun trainTwoStages(const std::string& modelName, const std::string& schedule, bool weightStash,
                           const std::shared_ptr<FakeDeviceMemory>& device)
{
    std::unique_ptr<OffHostCpuBackend> owner = device ? std::make_unique<OffHostCpuBackend>(device) : nullptr;
    Model model = buildModel(modelName);
    ParameterStore store(model);
    store.initialize(7);
    std::unique_ptr<Optimizer> optimizer = makeOptimizer(OptimizerOptions{}, store);
    PipelineExecutor::StageBackendFactory stageBackend;
    if (device) {
        store.placeOn(*owner);
        optimizer->placeOn(*owner);
        stageBackend = [device](int) { return std::make_unique<OffHostCpuBackend>(device); };
    }
    const int last = model.unitCount() - 1, half = model.unitCount() / 2;
    const Partition stages = schedule == "dp" ? Partition{{0, last, 0}, {0, last, 1}}
                                              : Partition{{0, half - 1, 0}, {half, last, 1}};
    PipelineExecutor executor(model, store, *optimizer, stages, schedule, 4, 11, weightStash, stageBackend);
    Batcher batcher(data().train, 16, 3);
    TwoStageRun result;
    for (const StepResult& step : executor.run([&](int64_t s) { return batcher.batchAt(s); }, 0, 3).steps)
        result.lossSum += step.lossSum;
    result.digest = weightsDigest(store);
    return result;
}

// lpm-async with weight stashing on two stages in one (pretend) GPU's
// memory: the stashed versions live there too, and the weights are those of
// the same run on host memory, bit for bit.
TEST_P(OffHostTraining, WeightStashingInOneDevicesMemoryEqualsTheHost)
{
    const TwoStageRun host = trainTwoStages(GetParam(), "lpm-async", true, nullptr);
    if (GetParam() != "mlp") { // (mlp's stage 0 is its first Linear, whose backward does not read its weights)
        // some backward did run with a stashed version
        ASSERT_NE(host.digest, trainTwoStages(GetParam(), "lpm-async", false, nullptr).digest);
    }
    auto device = std::make_shared<FakeDeviceMemory>();
    EXPECT_EQ(trainTwoStages(GetParam(), "lpm-async", true, device).digest, host.digest);
    EXPECT_EQ(device->foreignPointers, 0);
}

// dp with its replicas in one (pretend) GPU's memory, each on a backend of
// its own: the all-reduce and the shared update read the other replicas'
// memory directly, and the weights are those of dp on host memory, bit for
// bit (the same sums in the same order), with no kernel handed host memory.
TEST_P(OffHostTraining, DataParallelReplicasInOneDevicesMemoryEqualTheHost)
{
    const TwoStageRun host = trainTwoStages(GetParam(), "dp", false, nullptr);
    auto device = std::make_shared<FakeDeviceMemory>();
    const TwoStageRun onDevice = trainTwoStages(GetParam(), "dp", false, device);
    EXPECT_EQ(onDevice.digest, host.digest);
    EXPECT_EQ(onDevice.lossSum, host.lossSum);
    EXPECT_EQ(device->foreignPointers, 0);
    EXPECT_GT(device->allocations, 0);
}

TEST(OffHostPipeline, RefusesMismatchedMemory)
{
    OffHostCpuBackend owner;
    Model model = buildModel("mlp");
    ParameterStore store(model);
    store.initialize(1);
    std::unique_ptr<Optimizer> optimizer = makeOptimizer(OptimizerOptions{}, store);
    const Partition two = {{0, 1, 0}, {2, model.unitCount() - 1, 1}};
    auto stageBackend = [](int) { return std::make_unique<OffHostCpuBackend>(); };
    {
        PipelineExecutor executor(model, store, *optimizer, two, "lpm", 2, 1, false, stageBackend);
        Batcher batcher(data().train, 16, 3);
        expectError<InvalidArgument>([&] { executor.run([&](int64_t step) { return batcher.batchAt(step); }, 0, 1); },
                                     {"stage 0 computes on off-host-cpu", "host memory"});
    }
    store.placeOn(owner);
    optimizer->placeOn(owner);
    {
        PipelineExecutor cpuStages(model, store, *optimizer, two, "lpm", 2, 1);
        Batcher batcher(data().train, 16, 3);
        expectError<InvalidArgument>([&] { cpuStages.run([&](int64_t step) { return batcher.batchAt(step); }, 0, 1); },
                                     {"stage 0 computes on cpu", "in a device's memory"});
    }
}

INSTANTIATE_TEST_SUITE_P(EveryZooModel, OffHostTraining,
                         ::testing::Values("mlp", "lenet5", "cnn", "vgg-mini", "resnet-mini"),
                         [](const auto& info) {
                             std::string name = info.param;
                             for (char& c : name)
                                 if (c == '-')
                                     c = '_';
                             return name;
                         });

TEST(OffHostProfile, EveryUnitIsTimedInTheBackendsMemory)
{
    OffHostCpuBackend offHost;
    Model model = buildModel("resnet-mini");
    ProfileOptions options;
    options.microBatchSize = 4;
    options.warmup = 0;
    options.repetitions = 1;
    options.minimumSeconds = 0.0;
    options.device = "H100";
    const ModelCosts costs = profileModel(offHost, model, options);
    ASSERT_EQ(costs.devices.size(), 1u);
    EXPECT_EQ(costs.devices.front().device, "H100");
    EXPECT_EQ(int(costs.devices.front().units.size()), model.unitCount());
    EXPECT_GT(costs.devices.front().updateSecondsPerParameter, 0.0);
    EXPECT_EQ(offHost.device().foreignPointers, 0);
}

TEST(OffHostTensor, HostAccessorsRefuseAndCopiesComeBackExactly)
{
    OffHostCpuBackend offHost;
    Tensor host(Shape{2, 3});
    for (int64_t i = 0; i < host.elementCount(); ++i)
        host[i] = float(i) * 0.5f;
    const Tensor placed = host.copyTo(&offHost);
    EXPECT_FALSE(placed.onHost());
    EXPECT_EQ(placed.memory(), &offHost);
    expectError<InvalidArgument>([&] { (void)placed.values(); }, {"not in host memory", "(2, 3)"});
    const Tensor twin = placed.clone();
    EXPECT_EQ(twin.memory(), &offHost);
    const Tensor back = twin.copyTo(nullptr);
    ASSERT_TRUE(back.onHost());
    for (int64_t i = 0; i < host.elementCount(); ++i)
        EXPECT_EQ(back[i], host[i]);
}

} // namespace
} // namespace lpm
