// Training in a backend's own memory, tested on the CPU: OffHostCpuBackend
// (tests/forwarding_backend.h) keeps every tensor, parameter, gradient,
// optimizer state and layer context in blocks it allocated, and fails when a
// compute call is handed anything else, as a GPU would. Every zoo model must
// then train bit for bit as on the plain CPU backend, the path the CUDA
// backend takes (weights placed with ParameterStore::placeOn).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "data/synthetic_dataset.h"
#include "data/text_dataset.h"
#include "expect_error.h"
#include "forwarding_backend.h"
#include "host_staged_collective.h"
#include "nn/model_zoo.h"
#include "pipeline/executor.h"
#include "plan/profiler.h"
#include "train/training_step.h"

namespace lpm {
namespace {

// Images for the image models; for a language model, generated text in
// windows of its context.
const DatasetSplits& data(const std::string& model = "mlp")
{
    static const DatasetSplits images = [] {
        SyntheticOptions options;
        options.trainCount = 64;
        options.testCount = 40;
        return makeSyntheticDataset(options);
    }();
    static const DatasetSplits text = [] {
        std::vector<uint8_t> bytes;
        for (int i = 0; bytes.size() < 6000; ++i)
            for (const char c : "stage " + std::to_string(i * 31 % 97) + " of the pipeline; ")
                bytes.push_back(uint8_t(c));
        return splitText(bytes, "generated text", buildModel("gpt-mini").tokens(), 5);
    }();
    return buildModel(model).tokens() > 0 ? text : images;
}

struct RunResult {
    std::string digest;
    double lossSum = 0.0;
    EvaluationResult evaluation;
};

// A zoo model's weights, initialised with seed 7, and an optimizer for them,
// placed in `owner`'s memory when one is given (else left on the host).
struct ModelUnderTest {
    ModelUnderTest(const std::string& name, Backend* owner, const OptimizerOptions& options = {})
        : model(buildModel(name)), store(model), optimizer(makeOptimizer(options, store))
    {
        store.initialize(7);
        if (owner != nullptr) {
            store.placeOn(*owner);
            optimizer->placeOn(*owner);
        }
    }

    // dp's stages: two replicas of every unit.
    Partition twoReplicas() const
    {
        const int last = model.unitCount() - 1;
        return {{0, last, 0}, {0, last, 1}};
    }
    // Two pipeline stages: the units halved.
    Partition halves() const
    {
        const int half = model.unitCount() / 2;
        return {{0, half - 1, 0}, {half, model.unitCount() - 1, 1}};
    }

    Model model;
    ParameterStore store;
    std::unique_ptr<Optimizer> optimizer;

    // The digests of the weights (with the buffers) and of the optimizer's state, in one string.
    std::string digest() const { return weightsDigest(store) + " state " + optimizerStateDigest(*optimizer); }
};

// Two steps of batch 16 in 2 micro-batches, then an evaluation.
RunResult train(Backend& backend, const std::string& modelName, const std::string& optimizerKind)
{
    OptimizerOptions options;
    options.kind = optimizerKind;
    options.learningRate = optimizerKind == "adam" ? 1e-3f : 0.05f;
    options.momentum = 0.9f;
    ModelUnderTest m(modelName, &backend, options);
    Batcher batcher(data(modelName).train, 16, 3);
    RunResult result;
    for (int64_t step = 0; step < 2; ++step)
        result.lossSum +=
            runTrainingStep(backend, m.model, m.store, *m.optimizer, batcher.batchAt(step), 2, 11, step).lossSum;
    result.evaluation = evaluateModel(backend, m.model, data(modelName).test, 16);
    result.digest = m.digest();
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

// The weights and optimizer state digest after `steps` sequential steps on the CPU (batch 16 in
// `microBatches`, seed 11), from weights initialised with seed 7.
std::string sequentialDigest(const std::string& modelName, const OptimizerOptions& options, int steps,
                             int64_t microBatches)
{
    CpuBackend cpu(1);
    ModelUnderTest m(modelName, nullptr, options);
    Batcher batcher(data(modelName).train, 16, 3);
    for (int64_t step = 0; step < steps; ++step)
        runTrainingStep(cpu, m.model, m.store, *m.optimizer, batcher.batchAt(step), microBatches, 11, step);
    return m.digest();
}

// Two pipeline stages, each with its own backend on one pretend GPU (the
// weights placed on a third, the trainer's): gpipe, 1f1b and lpm leave the
// sequential CPU run's weights bit for bit, and no stage ever hands a kernel
// memory outside that device. lpm-async (not exact) must run clean too.
TEST_P(OffHostTraining, PipelineStagesInOneDevicesMemoryEqualSequential)
{
    const std::string expected = sequentialDigest(GetParam(), OptimizerOptions{}, 2, 4);
    for (const char* schedule : {"gpipe", "1f1b", "lpm", "lpm-async"}) {
        auto device = std::make_shared<FakeDeviceMemory>();
        {
            OffHostCpuBackend owner(device);
            ModelUnderTest m(GetParam(), &owner);
            PipelineExecutor executor(m.model, m.store, *m.optimizer, m.halves(), schedule, 4, 11, false,
                                      [device](int) { return std::make_unique<OffHostCpuBackend>(device); });
            Batcher batcher(data(GetParam()).train, 16, 3);
            const PipelineRun run = executor.run([&](int64_t step) { return batcher.batchAt(step); }, 0, 2);
            EXPECT_EQ(run.steps.size(), 2u) << schedule;
            if (std::string(schedule) != "lpm-async") {
                EXPECT_EQ(m.digest(), expected) << schedule;
            }
            // The boxes come from the device's time stamps: in order, in the run, not overlapping on a stage.
            std::vector<double> stageFree(2, 0.0);
            for (const TimelineEvent& event : run.timeline.events) {
                EXPECT_LE(event.start, event.end) << schedule;
                EXPECT_GE(event.start, stageFree[size_t(event.stage)] - 1e-9) << schedule << " stage " << event.stage;
                EXPECT_LE(event.end, run.seconds) << schedule;
                stageFree[size_t(event.stage)] = event.end;
            }
        }
        EXPECT_EQ(device->foreignPointers, 0) << schedule;
        EXPECT_GT(device->allocations, 0) << schedule;
        EXPECT_GT(device->timeMarks, 0) << schedule; // two per action, and one to anchor each stage
    }
}

// Where the weights are and where each of 3 stages computes: a pretend GPU
// per name ("A", "B", "C"), or the host ("").
struct StagePlacement {
    const char* name;
    std::string weights;
    std::vector<std::string> stages;
};

// Stages whose backend cannot read the weights' memory (several GPUs; CPU
// cores for weights on a GPU; GPUs for weights on the host) train a copy of
// their own there and give their slice back after each run: gpipe, 1f1b and
// lpm leave sequential's weights and optimizer state bit for bit, over two
// runs (the second starts from what the first gave back), with SGD momentum
// (and lpm with Adam), and no kernel is handed another device's memory.
TEST_P(OffHostTraining, PipelineStagesOnSeveralDevicesEqualSequential)
{
    const std::vector<StagePlacement> placements = {
        {"every stage on its own GPU, weights on the host", "", {"A", "B", "C"}},
        {"weights on GPU A, stages on A, B and C", "A", {"A", "B", "C"}},
        {"weights on GPU A, CPU stages", "A", {"", "", ""}},
    };
    for (const char* kind : {"sgd", "adam"}) {
        OptimizerOptions options;
        options.kind = kind;
        options.learningRate = float(defaultLearningRate(kind));
        const std::string expected = sequentialDigest(GetParam(), options, 4, 4);
        for (const StagePlacement& placement : placements)
            for (const char* schedule : {"gpipe", "1f1b", "lpm"}) {
                if (std::string(kind) == "adam" && std::string(schedule) != "lpm")
                    continue; // (the state's round trip does not depend on the schedule: lpm is enough)
                const std::string where = std::string(kind) + ", " + schedule + ", " + placement.name;
                std::map<std::string, std::shared_ptr<FakeDeviceMemory>> devices;
                for (const char* name : {"A", "B", "C"})
                    devices[name] = std::make_shared<FakeDeviceMemory>();
                {
                    std::unique_ptr<OffHostCpuBackend> owner;
                    if (!placement.weights.empty())
                        owner = std::make_unique<OffHostCpuBackend>(devices.at(placement.weights));
                    ModelUnderTest m(GetParam(), owner.get(), options);
                    const int units = m.model.unitCount();
                    const Partition stages = {
                        {0, units / 3 - 1, 0}, {units / 3, 2 * units / 3 - 1, 1}, {2 * units / 3, units - 1, 2}};
                    PipelineExecutor executor(m.model, m.store, *m.optimizer, stages, schedule, 4, 11, false,
                                              [&](int s) -> std::unique_ptr<Backend> {
                                                  const std::string& device = placement.stages[size_t(s)];
                                                  if (device.empty())
                                                      return std::make_unique<CpuBackend>(1);
                                                  return std::make_unique<OffHostCpuBackend>(devices.at(device));
                                              });
                    Batcher batcher(data(GetParam()).train, 16, 3);
                    auto batchAt = [&](int64_t step) { return batcher.batchAt(step); };
                    EXPECT_EQ(executor.run(batchAt, 0, 2).steps.size(), 2u) << where;
                    EXPECT_EQ(executor.run(batchAt, 2, 2).steps.size(), 2u) << where;
                    EXPECT_EQ(m.optimizer->stepCount(), 4) << where;
                    EXPECT_EQ(m.digest(), expected) << where;
                }
                for (const auto& [name, device] : devices)
                    EXPECT_EQ(device->foreignPointers, 0) << where << ", GPU " << name;
            }
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
    ModelUnderTest m(modelName, owner.get());
    PipelineExecutor::StageBackendFactory stageBackend;
    if (device)
        stageBackend = [device](int) { return std::make_unique<OffHostCpuBackend>(device); };
    PipelineExecutor executor(m.model, m.store, *m.optimizer, schedule == "dp" ? m.twoReplicas() : m.halves(), schedule,
                              4, 11, weightStash, stageBackend);
    Batcher batcher(data(modelName).train, 16, 3);
    TwoStageRun result;
    for (const StepResult& step : executor.run([&](int64_t s) { return batcher.batchAt(s); }, 0, 3).steps)
        result.lossSum += step.lossSum;
    result.digest = m.digest();
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

// A stop during a run whose stages train copies of their own (each on its
// own pretend GPU, the weights on the host) leaves the weights of the
// mini-batches it finished, as if the run had been shorter.
TEST(OffHostPipeline, AStopLeavesStageCopiesGivenBack)
{
    std::vector<std::shared_ptr<FakeDeviceMemory>> devices = {std::make_shared<FakeDeviceMemory>(),
                                                              std::make_shared<FakeDeviceMemory>()};
    ModelUnderTest m("lenet5", nullptr);
    PipelineExecutor executor(m.model, m.store, *m.optimizer, m.halves(), "lpm", 4, 11, false,
                              [&](int s) { return std::make_unique<OffHostCpuBackend>(devices[size_t(s)]); });
    Batcher batcher(data().train, 16, 3);
    std::atomic<bool> stop{false};
    const PipelineRun run = executor.run([&](int64_t step) { return batcher.batchAt(step); }, 0, 40, &stop,
                                         [&](int64_t, const StepResult&) { stop = true; });
    ASSERT_TRUE(run.stopped);
    ASSERT_GE(run.steps.size(), 1u);
    EXPECT_EQ(m.digest(), sequentialDigest("lenet5", OptimizerOptions{}, int(run.steps.size()), 4));
}

// dp replicas that cannot read each other's memory (two GPUs without peer
// access) sum through NCCL; where that cannot be either (here: pretend GPUs,
// which NCCL does not know), dp is refused, saying why.
TEST(OffHostPipeline, DataParallelRefusesReplicasThatCannotReadTheWeights)
{
    auto first = std::make_shared<FakeDeviceMemory>();
    OffHostCpuBackend owner(first);
    ModelUnderTest m("mlp", &owner);
    Batcher batcher(data().train, 16, 3);
    auto batchAt = [&](int64_t step) { return batcher.batchAt(step); };
    // Replica 0 on the weights' device, replica 1 on another: NCCL would be needed.
    PipelineExecutor separate(m.model, m.store, *m.optimizer, m.twoReplicas(), "dp", 2, 1, false, [&](int r) {
        return std::make_unique<OffHostCpuBackend>(r == 0 ? first : std::make_shared<FakeDeviceMemory>());
    });
    // (Why NCCL cannot help depends on the build: the collective refuses a
    // backend that is not a GPU's, or the build has no NCCL.)
    expectError<InvalidArgument>(
        [&] { separate.run(batchAt, 0, 1); },
        {"dp replica 0 computes on off-host-cpu", "cannot read the memory of", "cannot sum through NCCL"});
    // Neither replica on the weights' device: replica 0 could not train them.
    PipelineExecutor elsewhere(m.model, m.store, *m.optimizer, m.twoReplicas(), "dp", 2, 1, false,
                               [](int) { return std::make_unique<OffHostCpuBackend>(); });
    elsewhere.setReplicaCollective(
        [](const std::vector<Backend*>& ranks) { return std::make_unique<HostStagedCollective>(ranks); });
    expectError<InvalidArgument>([&] { elsewhere.run(batchAt, 0, 1); }, {"needs the weights in dp replica 0's memory"});
}

// dp with a replica on each of two pretend GPUs without peer access, the
// weights on the first: the replicas sum and share through a collective
// (HostStagedCollective standing in for NCCL), and the weights are those of
// dp on host memory, bit for bit (the same sums in the same order). So do
// two replicas on one device made to use it (`always`).
TEST(OffHostPipeline, DataParallelThroughACollectiveEqualsTheHost)
{
    for (const char* modelName : {"lenet5", "resnet-mini"})
        for (const bool oneDevice : {false, true}) {
            const TwoStageRun host = trainTwoStages(modelName, "dp", false, nullptr);
            auto first = std::make_shared<FakeDeviceMemory>();
            std::vector<std::shared_ptr<FakeDeviceMemory>> devices = {
                first, oneDevice ? first : std::make_shared<FakeDeviceMemory>()};
            HostStagedCollective* collective = nullptr;
            {
                OffHostCpuBackend owner(devices[0]);
                ModelUnderTest m(modelName, &owner);
                PipelineExecutor executor(
                    m.model, m.store, *m.optimizer, m.twoReplicas(), "dp", 4, 11, false,
                    [&](int d) { return std::make_unique<OffHostCpuBackend>(devices[size_t(d)]); });
                executor.setReplicaCollective(
                    [&](const std::vector<Backend*>& ranks) {
                        auto made = std::make_unique<HostStagedCollective>(ranks);
                        collective = made.get();
                        return made;
                    },
                    oneDevice);
                Batcher batcher(data().train, 16, 3);
                double lossSum = 0.0;
                for (const StepResult& step : executor.run([&](int64_t s) { return batcher.batchAt(s); }, 0, 3).steps)
                    lossSum += step.lossSum;
                ASSERT_NE(collective, nullptr) << modelName;
                // Per mini-batch: the sum, and the broadcasts of the weights and (resnet-mini) the batch-norm
                // statistics, each two meetings.
                EXPECT_EQ(collective->meetings, 3 * (2 + 2 + (m.store.bufferCount() > 0 ? 2 : 0))) << modelName;
                EXPECT_EQ(m.digest(), host.digest) << modelName;
                EXPECT_EQ(lossSum, host.lossSum) << modelName;
            }
            for (const auto& device : devices)
                EXPECT_EQ(device->foreignPointers, 0) << modelName;
        }
}

// A replica that fails inside the collective (an injected error) while the
// other waits there: the run stops promptly, reports the failing stage once,
// and the next run makes a new collective and trains.
TEST(OffHostPipeline, AFailedReplicaAbortsTheCollective)
{
    std::vector<std::shared_ptr<FakeDeviceMemory>> devices = {std::make_shared<FakeDeviceMemory>(),
                                                              std::make_shared<FakeDeviceMemory>()};
    OffHostCpuBackend owner(devices[0]);
    ModelUnderTest m("lenet5", &owner);
    PipelineExecutor executor(m.model, m.store, *m.optimizer, m.twoReplicas(), "dp", 4, 11, false,
                              [&](int d) { return std::make_unique<OffHostCpuBackend>(devices[size_t(d)]); });
    int made = 0;
    executor.setReplicaCollective([&](const std::vector<Backend*>& ranks) {
        return std::make_unique<HostStagedCollective>(ranks, made++ == 0 ? 1 : -1); // the first one fails
    });
    Batcher batcher(data().train, 16, 3);
    auto batchAt = [&](int64_t s) { return batcher.batchAt(s); };
    expectError<Error>([&] { executor.run(batchAt, 0, 3); }, {"stage 1", "all-reduce", "injected failure"});
    EXPECT_EQ(executor.run(batchAt, 0, 2).steps.size(), 2u);
    EXPECT_EQ(made, 2);
}

// dp with a replica on each of two pretend GPUs that have peer access to
// each other (the weights on the first): the sums and the shared update read
// and write the other GPU's memory directly, and the weights are those of dp
// on host memory, bit for bit.
TEST(OffHostPipeline, DataParallelAcrossPeerDevicesEqualsTheHost)
{
    for (const char* modelName : {"lenet5", "resnet-mini"}) {
        const std::string host = trainTwoStages(modelName, "dp", false, nullptr).digest;
        std::vector<std::shared_ptr<FakeDeviceMemory>> devices = {std::make_shared<FakeDeviceMemory>(),
                                                                  std::make_shared<FakeDeviceMemory>()};
        auto onDevice = [&](int d) {
            auto backend = std::make_unique<OffHostCpuBackend>(devices[size_t(d)]);
            backend->grantPeerAccess(devices[size_t(1 - d)]);
            return backend;
        };
        {
            std::unique_ptr<OffHostCpuBackend> owner = onDevice(0);
            ModelUnderTest m(modelName, owner.get());
            PipelineExecutor executor(m.model, m.store, *m.optimizer, m.twoReplicas(), "dp", 4, 11, false, onDevice);
            Batcher batcher(data().train, 16, 3);
            executor.run([&](int64_t s) { return batcher.batchAt(s); }, 0, 3);
            EXPECT_EQ(m.digest(), host) << modelName;
        }
        for (const auto& device : devices) {
            EXPECT_EQ(device->foreignPointers, 0) << modelName;
            EXPECT_GT(device->allocations, 0) << modelName;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(EveryZooModel, OffHostTraining,
                         ::testing::Values("mlp", "lenet5", "cnn", "vgg-mini", "resnet-mini", "gpt-mini"),
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
    const Tensor placed = host.copyTo(memorySpaceOf(offHost));
    EXPECT_FALSE(placed.onHost());
    EXPECT_EQ(placed.space(), MemorySpace::of(offHost));
    expectError<InvalidArgument>([&] { (void)placed.values(); }, {"not in host memory", "(2, 3)"});
    const Tensor twin = placed.clone();
    EXPECT_EQ(twin.space(), MemorySpace::of(offHost));
    const Tensor back = twin.copyTo(MemorySpace::host());
    ASSERT_TRUE(back.onHost());
    for (int64_t i = 0; i < host.elementCount(); ++i)
        EXPECT_EQ(back[i], host[i]);
    EXPECT_EQ(MemorySpace::of(offHost).name(), "off-host-cpu");
    EXPECT_EQ(MemorySpace::host().name(), "the host");
    expectError<InvalidArgument>([] { (void)MemorySpace::host().resource(); }, {"the host's memory has no resource"});
}

} // namespace
} // namespace lpm
