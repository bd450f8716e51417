// The CUDA backend on a real GPU: every layer against the CPU reference
// (1e-4, TF32 off), deterministic results, checked errors, discovery.
// Without a GPU (or in a build without CUDA) every test here is skipped and
// says why; none passes vacuously.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "backend/backend_check.h"
#include "backend/replica_collective.h"
#include "data/batcher.h"
#include "data/synthetic_dataset.h"
#include "data/text_dataset.h"
#include "devices/backend_factory.h"
#include "devices/gpu_devices.h"
#include "nn/model_zoo.h"
#include "pipeline/executor.h"
#include "tensor/error.h"
#include "tensor/memory_block.h"
#include "tensor/random.h"
#include "train/trainer.h"

namespace lpm {
namespace {

// 256 training and 64 test samples: enough for a few steps of batch 32.
const DatasetSplits& smallData()
{
    static const DatasetSplits data = [] {
        SyntheticOptions options;
        options.trainCount = 256;
        options.testCount = 64;
        return makeSyntheticDataset(options);
    }();
    return data;
}

// Three steps of batch 32 in `microBatches`, on the CPU until backend is set.
TrainOptions threeSteps(const std::string& model, int64_t microBatches)
{
    TrainOptions options;
    options.model = model;
    options.steps = 3;
    options.batch = 32;
    options.microBatches = microBatches;
    options.optimizer.learningRate = 0.05f;
    return options;
}

// The same on GPU 0, in 4 micro-batches, without evaluation.
TrainOptions threeGpuSteps(const std::string& model)
{
    TrainOptions options = threeSteps(model, 4);
    options.evaluate = false;
    options.backend = "cuda:0";
    return options;
}

class CudaBackendTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        const GpuDiscovery found = discoverGpus();
        if (found.gpus.empty())
            GTEST_SKIP() << "no GPU to test the CUDA backend on: " << found.status;
        BackendRequest request;
        request.name = "cuda:0";
        backend_ = makeBackend(request);
    }
    std::unique_ptr<Backend> backend_;
};

TEST_F(CudaBackendTest, EveryLayerMatchesTheCpuWithinOneInTenThousand)
{
    for (uint64_t seed : {11ull, 2024ull}) {
        const BackendCheckReport report = checkBackendAgainstCpu(*backend_, seed, 1e-4);
        for (const BackendCheckRow& row : report.rows)
            EXPECT_TRUE(row.passed) << row.layer << " " << row.pass << " " << row.output << ": " << row.relativeError;
    }
}

TEST_F(CudaBackendTest, ConvolutionGradientsAreDeterministic)
{
    Conv2dGeometry g;
    g.batch = 16;
    g.inChannels = 32;
    g.inHeight = g.inWidth = 16;
    g.outChannels = 64;
    g.kernelHeight = g.kernelWidth = 3;
    g.padding = 1;
    const int64_t inputs = g.batch * g.inChannels * g.inHeight * g.inWidth;
    const int64_t outputs = g.batch * g.outChannels * g.outHeight() * g.outWidth();
    const int64_t weights = g.outChannels * g.inChannels * 9;
    RandomStream random(5);
    std::vector<MemoryBlock> blocks;
    auto upload = [&](int64_t count) {
        std::vector<float> host(static_cast<size_t>(count));
        for (float& v : host)
            v = random.nextNormal();
        blocks.emplace_back(memorySpaceOf(*backend_), count * 4);
        blocks.back().copyFromHost(host.data(), count * 4);
        return blocks.back().as<float>();
    };
    const float* x = upload(inputs);
    const float* w = upload(weights);
    const float* dy = upload(outputs);
    float* dx = upload(inputs);
    std::vector<std::vector<float>> results;
    for (int run = 0; run < 2; ++run) {
        MemoryBlock dw(memorySpaceOf(*backend_), weights * 4);
        dw.zero();
        backend_->conv2dBackward(g, x, w, dy, dx, dw.as<float>(), nullptr);
        backend_->conv2dBackward(g, x, w, dy, dx, dw.as<float>(), nullptr); // accumulated twice
        std::vector<float> host(static_cast<size_t>(weights));
        dw.copyToHost(host.data(), weights * 4);
        results.push_back(host);
    }
    EXPECT_EQ(results[0], results[1]);
}

TEST_F(CudaBackendTest, ABadDeviceIndexIsANamedError)
{
    BackendRequest request;
    request.name = "cuda:" + std::to_string(discoverGpus().gpus.size());
    try {
        makeBackend(request);
        ADD_FAILURE() << "no error for " << request.name;
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("there is no GPU"), std::string::npos) << error.what();
    }
}

// `options` (on the CPU) run on the CPU and twice on GPU 0 from the same
// initial weights: the same run up to rounding, and the two GPU runs
// identical (deterministic algorithms only).
void expectTheGpuFollowsTheCpu(TrainOptions options, const DatasetSplits& data)
{
    Trainer cpu(options, data);
    const TrainSummary onCpu = cpu.run();
    options.backend = "cuda:0";
    Trainer gpu(options, data);
    const TrainSummary onGpu = gpu.run();
    Trainer again(options, data);
    EXPECT_EQ(again.run().weightsDigest, onGpu.weightsDigest) << options.model;
    EXPECT_NEAR(onGpu.trainLoss, onCpu.trainLoss, 1e-4 * std::abs(onCpu.trainLoss) + 1e-6) << options.model;
    EXPECT_NEAR(onGpu.testLoss, onCpu.testLoss, 1e-3 * std::abs(onCpu.testLoss) + 1e-6) << options.model;
}

// Three steps of cnn (and resnet-mini: batch norm, residual sums).
TEST_F(CudaBackendTest, TrainingOnTheGpuFollowsTheCpuAndRepeatsExactly)
{
    for (const char* model : {"cnn", "resnet-mini"}) {
        TrainOptions options = threeSteps(model, 2);
        options.evaluate = true;
        expectTheGpuFollowsTheCpu(options, smallData());
    }
}

// gpt-mini (layer norm, GELU, embeddings, attention on cuBLAS): three AdamW
// steps with clipping, on text.
TEST_F(CudaBackendTest, GptMiniOnTheGpuFollowsTheCpuAndRepeatsExactly)
{
    std::vector<uint8_t> text;
    for (int i = 0; text.size() < 20000; ++i)
        for (const char c : std::string("the pipeline stage ") + std::to_string(i * 7919 % 1000) + ". ")
            text.push_back(uint8_t(c));
    TrainOptions options = threeSteps("gpt-mini", 2);
    options.batch = 8;
    options.optimizer.kind = "adamw";
    options.optimizer.learningRate = 3e-3f;
    options.optimizer.clipGradNorm = 1.0f;
    options.evaluate = true;
    options.liveEvaluation = false;
    expectTheGpuFollowsTheCpu(options, splitText(text, "generated text", 64, 1));
}

// Stages sharing one GPU (cuda:0x2 and x3, a stream each): the exact
// schedules leave bit for bit the weights of sequential on the same GPU with
// the same micro-batches (the same kernels on the same shapes, in order).
TEST_F(CudaBackendTest, PipelineStagesOnOneGpuEqualSequentialBitForBit)
{
    const DatasetSplits& data = smallData();
    for (const char* model : {"cnn", "resnet-mini"}) {
        const TrainOptions options = threeGpuSteps(model);
        const TrainSummary sequential = Trainer(options, data).run();
        const int units = buildModel(model).unitCount();
        for (int stages : {2, 3})
            for (const char* schedule : {"gpipe", "1f1b", "lpm"}) {
                TrainOptions pipelined = options;
                pipelined.schedule = schedule;
                pipelined.stages.clear();
                for (int k = 0; k < stages; ++k)
                    pipelined.stages.push_back({units * k / stages, units * (k + 1) / stages - 1, k});
                const TrainSummary run = Trainer(pipelined, data).run();
                EXPECT_EQ(run.weightsDigest, sequential.weightsDigest) << model << " " << schedule << " " << stages;
            }
    }
}

// The measured timeline of stages on one GPU comes from CUDA events on their
// streams: every box has a positive device duration, a stage's boxes do not
// overlap, and all lie within the run.
TEST_F(CudaBackendTest, PipelineTimelineTakesDeviceTimes)
{
    TrainOptions options = threeGpuSteps("resnet-mini");
    options.schedule = "lpm";
    const int units = buildModel("resnet-mini").unitCount();
    options.stages = {{0, units / 2 - 1, 0}, {units / 2, units - 1, 1}};
    Trainer trainer(options, smallData());
    const TrainSummary summary = trainer.run();
    const Timeline& timeline = trainer.lastTimeline();
    ASSERT_FALSE(timeline.events.empty());
    std::vector<double> stageFree(2, 0.0);
    for (const TimelineEvent& event : timeline.events) {
        EXPECT_LT(event.start, event.end);
        EXPECT_GE(event.start, stageFree[size_t(event.stage)]);
        EXPECT_LE(event.end, summary.trainingSeconds + 1e-3);
        stageFree[size_t(event.stage)] = event.end;
    }
}

// The schedules of PipelineStagesOnOneGpuEqualSequentialBitForBit with the
// stages on the backends `stageBackends` names and the weights where
// `weightsBackend` computes: the same bits as sequential on GPU 0.
void expectStagesEqualSequentialOnGpu0(const std::string& weightsBackend, const std::vector<std::string>& stageBackends)
{
    const DatasetSplits& data = smallData();
    for (const char* model : {"cnn", "resnet-mini"}) {
        const TrainOptions options = threeGpuSteps(model);
        const TrainSummary sequential = Trainer(options, data).run();
        const int units = buildModel(model).unitCount();
        const int stages = int(stageBackends.size());
        for (const char* schedule : {"gpipe", "1f1b", "lpm"}) {
            TrainOptions pipelined = options;
            pipelined.backend = weightsBackend;
            pipelined.stageBackends = stageBackends;
            pipelined.schedule = schedule;
            for (int k = 0; k < stages; ++k)
                pipelined.stages.push_back({units * k / stages, units * (k + 1) / stages - 1, k});
            const TrainSummary run = Trainer(pipelined, data).run();
            EXPECT_EQ(run.weightsDigest, sequential.weightsDigest) << model << " " << schedule;
        }
    }
}

// Weights on the host, two stages on GPU 0 that cannot read them: each stage
// trains a copy of its own in the GPU's memory and gives it back after the
// run (the path of stages on several GPUs, on one).
TEST_F(CudaBackendTest, StagesTrainingCopiesOfTheirOwnEqualSequentialBitForBit)
{
    expectStagesEqualSequentialOnGpu0("cpu", {"cuda:0", "cuda:0"});
}

// A stage on each of two GPUs (cuda:0,1): activations and gradients pass by
// peer copies, the second stage trains a copy of its own on GPU 1, and the
// weights are sequential's on GPU 0, bit for bit (the same kernels on GPUs
// of one kind).
TEST_F(CudaBackendTest, StagesOnTwoGpusEqualSequentialBitForBit)
{
    const GpuDiscovery found = discoverGpus();
    if (found.gpus.size() < 2)
        GTEST_SKIP() << "needs two GPUs, this machine has " << found.gpus.size();
    if (found.gpus[0].name != found.gpus[1].name)
        GTEST_SKIP() << "needs two GPUs of one kind, found " << found.gpus[0].name << " and " << found.gpus[1].name;
    expectStagesEqualSequentialOnGpu0("cuda:0", {"cuda:0", "cuda:1"});
}

// dp with two replicas on streams of one GPU: it repeats exactly, and it
// follows sequential on the same GPU to rounding (the replicas' gradients are
// summed per replica first, another order than sequential's).
TEST_F(CudaBackendTest, DataParallelReplicasOnOneGpuRepeatAndFollowSequential)
{
    const DatasetSplits& data = smallData();
    for (const char* model : {"cnn", "resnet-mini"}) {
        const TrainOptions options = threeGpuSteps(model);
        const TrainSummary sequential = Trainer(options, data).run();
        TrainOptions dp = options;
        dp.schedule = "dp";
        const int last = buildModel(model).unitCount() - 1;
        dp.stages = {{0, last, 0}, {0, last, 1}};
        const TrainSummary first = Trainer(dp, data).run();
        const TrainSummary second = Trainer(dp, data).run();
        EXPECT_EQ(first.weightsDigest, second.weightsDigest) << model;
        EXPECT_EQ(first.trainLoss, second.trainLoss) << model;
        EXPECT_NEAR(first.trainLoss, sequential.trainLoss, 1e-4 * std::abs(sequential.trainLoss)) << model;
    }
}

// dp with a replica on each of two GPUs, summing through NCCL (forced, even
// where the GPUs have peer access): it repeats exactly, and its loss follows
// dp summing over the peer link.
TEST_F(CudaBackendTest, DataParallelThroughNcclOnTwoGpusFollowsPeerSums)
{
    if (discoverGpus().gpus.size() < 2)
        GTEST_SKIP() << "needs two GPUs, this machine has " << discoverGpus().gpus.size();
    struct Run {
        std::string digest;
        double lossSum = 0.0;
    };
    auto train = [](bool nccl) {
        std::unique_ptr<Backend> first = makeBackend(BackendRequest{"cuda:0"});
        Model model = buildModel("cnn");
        ParameterStore store(model);
        store.initialize(7);
        std::unique_ptr<Optimizer> optimizer = makeOptimizer(OptimizerOptions{}, store);
        store.placeOn(*first);
        optimizer->placeOn(*first);
        const int last = model.unitCount() - 1;
        PipelineExecutor executor(model, store, *optimizer, {{0, last, 0}, {0, last, 1}}, "dp", 4, 11, false,
                                  [](int r) { return makeBackend(BackendRequest{"cuda:" + std::to_string(r)}); });
        if (nccl)
            executor.setReplicaCollective(makeNcclCollective, true);
        Batcher batcher(smallData().train, 32, 3);
        Run run;
        for (const StepResult& step : executor.run([&](int64_t s) { return batcher.batchAt(s); }, 0, 3).steps)
            run.lossSum += step.lossSum;
        run.digest = weightsDigest(store);
        return run;
    };
    const Run first = train(true), second = train(true), peer = train(false);
    EXPECT_EQ(first.digest, second.digest);
    EXPECT_NEAR(first.lossSum, peer.lossSum, 1e-5 * std::abs(peer.lossSum));
}

// lpm-async with weight stashing on two streams of one GPU repeats exactly,
// and the stashed versions change what it computes.
TEST_F(CudaBackendTest, WeightStashingOnOneGpuRepeatsExactly)
{
    const DatasetSplits& data = smallData();
    TrainOptions options = threeGpuSteps("lenet5");
    options.schedule = "lpm-async";
    const int units = buildModel("lenet5").unitCount();
    options.stages = {{0, units / 2 - 1, 0}, {units / 2, units - 1, 1}};
    const TrainSummary plain = Trainer(options, data).run();
    options.weightStash = true;
    const TrainSummary first = Trainer(options, data).run();
    const TrainSummary second = Trainer(options, data).run();
    EXPECT_EQ(first.weightsDigest, second.weightsDigest);
    EXPECT_NE(first.weightsDigest, plain.weightsDigest);
}

TEST(GpuDiscovery, AlwaysSaysWhatItFoundInOneLine)
{
    const GpuDiscovery found = discoverGpus();
    EXPECT_FALSE(found.status.empty());
    EXPECT_EQ(found.status.find('\n'), std::string::npos);
    EXPECT_EQ(found.cudaBuilt, cudaBackendBuilt());
    if (found.cudaBuilt) {
        EXPECT_GE(found.runtimeVersion, 12000);
        EXPECT_GE(found.cudnnVersion, 90000);
    }
    EXPECT_EQ(found.peerAccess.size(), found.gpus.size());
    for (const GpuDevice& gpu : found.gpus) {
        EXPECT_GT(gpu.memoryBytes, 0);
        EXPECT_GT(gpu.multiprocessors, 0);
        EXPECT_FALSE(found.peerAccess[size_t(gpu.index)][size_t(gpu.index)]);
    }
}

} // namespace
} // namespace lpm
