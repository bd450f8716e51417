// Pipelined training across ranks (PipelineExecutor::setRanks), with the
// ranks played by threads (thread_ranks.h), so that it runs without MPI and
// under the sanitizers: every exact schedule leaves on every rank bit for bit
// the weights of sequential training, every rank reports every step and has
// every stage's timeline, and what cannot run across ranks yet is refused.
// test_train_mpi_cli runs the same over MPI, between processes.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "backend/cpu/cpu_backend.h"
#include "data/synthetic_dataset.h"
#include "dist/rank_broadcast.h"
#include "expect_error.h"
#include "nn/model_zoo.h"
#include "pipeline/executor.h"
#include "pipeline/rank_transport.h"
#include "pipeline_test_support.h"
#include "thread_ranks.h"
#include "train/trainer.h"
#include "train/training_step.h"

namespace lpm {
namespace {

constexpr uint64_t kSeed = 11;
constexpr int64_t kBatch = 16;

const DatasetSplits& data()
{
    static const DatasetSplits splits = makeSyntheticDataset({128, 16, 3, 1, 28, 28, 10});
    return splits;
}

// What one rank (or the one process) ends with.
struct RankResult {
    std::string digest; // weights with buffers, and optimizer state
    std::vector<StepResult> steps;
    std::vector<int64_t> reported;           // the steps onStepDone was called with
    std::vector<StepResult> reportedResults; // and their results
    Timeline timeline;
};

// `steps` steps of `schedule` on `stages` stages: in one process (ranks 0),
// or on `ranks` ranks played by threads, each training its own copy of the
// model (as processes would); the ranks' results by rank.
// `stopAfter` (≥ 0): rank 0's stop is requested once it has reported that step.
std::vector<RankResult> train(const std::string& modelName, const std::string& schedule, int stages, int ranks,
                              int64_t microBatches, int steps, int chunks = 1,
                              const OptimizerOptions& optimizerOptions = sgd(), int64_t stopAfter = -1)
{
    ThreadRanks channels(std::max(ranks, 1));
    std::vector<RankResult> results(size_t(std::max(ranks, 1)));
    std::vector<std::exception_ptr> failures(results.size());
    auto playRank = [&](int rank) {
        try {
            Model model = buildModel(modelName);
            ParameterStore store(model);
            store.initialize(kSeed);
            auto optimizer = makeOptimizer(optimizerOptions, store);
            const Batcher batcher(data().train, kBatch, kSeed);
            Partition partition = evenStages(model.unitCount(), stages);
            if (schedule == "dp") // replicas: every stage holds every unit
                for (PlannedStage& stage : partition)
                    stage = {0, model.unitCount() - 1, stage.device};
            PipelineExecutor executor(model, store, *optimizer, partition, schedule, microBatches, kSeed);
            executor.setChunks(chunks);
            if (ranks > 0)
                executor.setRanks(&channels.channel(rank));
            RankResult& result = results[size_t(rank)];
            std::atomic<bool> stop{false}; // (every rank's is set; rank 0's alone counts)
            PipelineRun run = executor.run([&](int64_t step) { return batcher.batchAt(step); }, 0, steps, &stop,
                                           [&](int64_t step, const StepResult& stepResult) {
                                               result.reported.push_back(step);
                                               result.reportedResults.push_back(stepResult);
                                               if (step == stopAfter)
                                                   stop = true;
                                           });
            result.digest = weightsDigest(store) + " state " + optimizerStateDigest(*optimizer);
            result.steps = run.steps;
            result.timeline = run.timeline;
        } catch (...) {
            failures[size_t(rank)] = std::current_exception();
        }
    };
    std::vector<std::jthread> threads;
    for (int rank = 0; rank < int(results.size()); ++rank)
        threads.emplace_back(playRank, rank);
    threads.clear(); // (joins)
    for (const std::exception_ptr& failure : failures)
        if (failure)
            std::rethrow_exception(failure);
    return results;
}

std::string sequentialDigest(const std::string& modelName, int64_t microBatches, int64_t steps)
{
    Model model = buildModel(modelName);
    ParameterStore store(model);
    store.initialize(kSeed);
    auto optimizer = makeOptimizer(sgd(), store);
    CpuBackend backend(1);
    const Batcher batcher(data().train, kBatch, kSeed);
    for (int step = 0; step < steps; ++step)
        runTrainingStep(backend, model, store, *optimizer, batcher.batchAt(step), microBatches, kSeed, step);
    return weightsDigest(store) + " state " + optimizerStateDigest(*optimizer);
}

void expectSameSteps(const std::vector<StepResult>& actual, const std::vector<StepResult>& expected)
{
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
        EXPECT_EQ(actual[i].lossSum, expected[i].lossSum) << "step " << i;
        EXPECT_EQ(actual[i].correct, expected[i].correct) << "step " << i;
        EXPECT_EQ(actual[i].samples, expected[i].samples) << "step " << i;
    }
}

TEST(RankPipeline, EveryExactScheduleAcrossRanksLeavesSequentialsWeightsOnEveryRank)
{
    const int steps = 2, m = 4;
    for (const std::string model : {"lenet5", "resnet-mini"}) { // (resnet-mini: batch-norm buffers too)
        const std::string reference = sequentialDigest(model, m, steps);
        for (const std::string& schedule : scheduleNames()) {
            const ScheduleTraits traits = scheduleTraits(schedule);
            if (!traits.exact() || traits.fixedCuts() || traits.interleaved)
                continue;
            for (int ranks : {2, 3}) {
                SCOPED_TRACE(model + " " + schedule + " on " + std::to_string(ranks) + " ranks");
                const std::vector<RankResult> inProcess = train(model, schedule, ranks, 0, m, steps);
                const std::vector<RankResult> results = train(model, schedule, ranks, ranks, m, steps);
                for (const RankResult& result : results) {
                    EXPECT_EQ(result.digest, reference);
                    expectSameSteps(result.steps, inProcess[0].steps);
                    EXPECT_EQ(result.reported, (std::vector<int64_t>{0, 1}));
                    expectSameSteps(result.reportedResults, inProcess[0].steps);
                    // Every stage's forwards, backwards and updates, on every rank.
                    std::vector<int> updates(size_t(ranks), 0);
                    for (const TimelineEvent& event : result.timeline.events)
                        updates[size_t(event.stage)] += event.kind == ActionKind::Update ? 1 : 0;
                    EXPECT_EQ(updates, std::vector<int>(size_t(ranks), steps));
                    EXPECT_EQ(result.timeline.transfers.size(), size_t(2 * (ranks - 1) * m * steps));
                    // Carried between ranks: from the sending to the receipt, which takes time.
                    bool someTookTime = false;
                    for (const TimelineTransfer& transfer : result.timeline.transfers) {
                        EXPECT_GE(transfer.end, transfer.start);
                        someTookTime = someTookTime || transfer.end > transfer.start;
                    }
                    EXPECT_TRUE(someTookTime);
                }
            }
        }
    }
}

TEST(RankPipeline, DataParallelAcrossRanksEqualsDataParallelInOneProcessBitForBit)
{
    // Replica r on rank r; the sum in rank order (the collective over the
    // channel), batch-norm statistics replayed by rank 0 (resnet-mini).
    for (const std::string model : {"lenet5", "resnet-mini"})
        for (int ranks : {2, 3}) {
            SCOPED_TRACE(model + " dp on " + std::to_string(ranks) + " ranks");
            const std::vector<RankResult> inProcess = train(model, "dp", ranks, 0, 4, 2);
            for (const RankResult& result : train(model, "dp", ranks, ranks, 4, 2)) {
                EXPECT_EQ(result.digest, inProcess[0].digest);
                expectSameSteps(result.steps, inProcess[0].steps);
                EXPECT_EQ(result.reported, (std::vector<int64_t>{0, 1}));
                expectSameSteps(result.reportedResults, inProcess[0].steps);
            }
        }
}

TEST(RankPipeline, InterleavedChunksAcrossRanksStayExact)
{
    // 4 stages of 2 chunks on 2 ranks: stages 0 and 2 on rank 0, 1 and 3 on rank 1.
    const std::vector<RankResult> results = train("cnn", "interleaved", 4, 2, 4, 2, 2);
    for (const RankResult& result : results)
        EXPECT_EQ(result.digest, sequentialDigest("cnn", 4, 2));
}

TEST(RankPipeline, LpmAsyncAcrossRanksTrainsAsInOneProcess)
{
    // Stale, not sequential's: but the same staleness in one process and across ranks.
    const std::vector<RankResult> inProcess = train("lenet5", "lpm-async", 2, 0, 4, 3);
    for (const RankResult& result : train("lenet5", "lpm-async", 2, 2, 4, 3)) {
        EXPECT_EQ(result.digest, inProcess[0].digest);
        expectSameSteps(result.steps, inProcess[0].steps);
    }
}

TEST(RankPipeline, RankZeroReportsEachStepWhileTheRunGoesOn)
{
    // Rank 1 (the last stage) holds back its last mini-batch's update until
    // rank 0 has reported step 0: rank 0 reports it while the run goes on
    // (had it waited for the run's end, rank 1 would give up after 20 s).
    const int steps = 3;
    ThreadRanks channels(2);
    std::atomic<bool> firstReported{false}, gaveUp{false};
    std::vector<std::vector<int64_t>> reported(2);
    auto playRank = [&](int rank) {
        Model model = buildModel("lenet5");
        ParameterStore store(model);
        store.initialize(kSeed);
        auto optimizer = makeOptimizer(sgd(), store);
        const Batcher batcher(data().train, kBatch, kSeed);
        PipelineExecutor executor(model, store, *optimizer, evenStages(model.unitCount(), 2), "lpm", 2, kSeed);
        executor.setRanks(&channels.channel(rank));
        executor.setActionHook([&](int, const Action& action) {
            if (action.kind != ActionKind::Update || action.miniBatch != steps - 1)
                return;
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
            while (!firstReported && std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            gaveUp = gaveUp || !firstReported;
        });
        executor.run([&](int64_t step) { return batcher.batchAt(step); }, 0, steps, nullptr,
                     [&](int64_t step, const StepResult&) {
                         reported[size_t(rank)].push_back(step);
                         if (rank == 0 && step == 0)
                             firstReported = true;
                     });
    };
    {
        std::jthread rank1(playRank, 1);
        playRank(0);
    }
    EXPECT_FALSE(gaveUp);
    EXPECT_EQ(reported[0], (std::vector<int64_t>{0, 1, 2}));
    EXPECT_EQ(reported[1], (std::vector<int64_t>{0, 1, 2}));
}

TEST(RankPipeline, WhatCannotRunAcrossRanksIsRefusedBeforeTraining)
{
    expectError<InvalidArgument>([] { train("mlp", "lpm", 3, 2, 2, 1); },
                                 {"lpm on 3 stages needs 3 ranks (one per device), the job has 2"});
    expectError<InvalidArgument>([] { train("mlp", "interleaved", 4, 4, 2, 1, 2); },
                                 {"of 2 chunks each needs 2 ranks", "the job has 4"});
}

TEST(RankPipeline, GradientClippingAcrossRanksClipsAsInOneProcess)
{
    // Each stage clips by the whole model's norm: the ranks exchange their
    // units' squared gradients every mini-batch (dp: rank 0 clips the sum).
    OptimizerOptions clipped = sgd();
    clipped.clipGradNorm = 0.05f;
    for (const std::string schedule : {"1f1b", "lpm", "dp"}) {
        SCOPED_TRACE(schedule);
        const std::string inProcess = train("lenet5", schedule, 2, 0, 4, 2, 1, clipped)[0].digest;
        ASSERT_NE(inProcess, train("lenet5", schedule, 2, 0, 4, 2)[0].digest) << "0.05 did not clip";
        for (const RankResult& result : train("lenet5", schedule, 2, 2, 4, 2, 1, clipped))
            EXPECT_EQ(result.digest, inProcess);
    }
}

TEST(RankPipeline, RankZerosStopEndsEveryRankAtTheSameStepAsIfTheRunWereShorter)
{
    // 40 steps asked for; rank 0 asks to stop once it has reported step 2.
    // Every rank then ends at one step T (the last rank 0's first stage
    // began), and holds the weights of a T-step run.
    const int m = 4;
    for (const std::string schedule : {"gpipe", "1f1b", "lpm", "zb-h1", "interleaved", "lpm-async", "dp"}) {
        SCOPED_TRACE(schedule);
        const bool interleaved = schedule == "interleaved";
        const int stages = interleaved ? 4 : 2; // (interleaved: 2 chunks on each of 2 ranks)
        const std::vector<RankResult> results =
            train("resnet-mini", schedule, stages, 2, m, 40, interleaved ? 2 : 1, sgd(), 2);
        const int64_t trained = int64_t(results[0].steps.size());
        EXPECT_GE(trained, 3);
        EXPECT_LT(trained, 40);
        for (const RankResult& result : results) {
            EXPECT_EQ(int64_t(result.steps.size()), trained);
            EXPECT_EQ(result.digest, results[0].digest);
            EXPECT_EQ(int64_t(result.reported.size()), trained);
        }
        const int shorter = int(trained);
        if (schedule == "dp" || schedule == "lpm-async") // (their own weights, in one process)
            EXPECT_EQ(results[0].digest,
                      train("resnet-mini", schedule, stages, 0, m, shorter, interleaved ? 2 : 1)[0].digest);
        else
            EXPECT_EQ(results[0].digest, sequentialDigest("resnet-mini", m, trained));
    }
}

TEST(RankPipeline, RankZerosBroadcastArrivesWholeInPiecesOfAnySize)
{
    // 1000 bytes in pieces of 7 (the last of 6), of 1000 and of 4096; and nothing.
    MessageBytes original(1000);
    for (size_t i = 0; i < original.size(); ++i)
        original[i] = std::byte(i * 37 % 251);
    for (const int64_t piece : {int64_t(7), int64_t(1000), int64_t(4096)}) {
        for (const bool empty : {false, true}) {
            SCOPED_TRACE("pieces of " + std::to_string(piece) + (empty ? ", nothing sent" : ""));
            ThreadRanks channels(3);
            std::vector<MessageBytes> received(3);
            std::vector<std::jthread> ranks;
            for (int rank = 0; rank < 3; ++rank)
                ranks.emplace_back([&, rank] {
                    // (what ranks other than 0 pass is not sent)
                    MessageBytes mine = rank != 0 ? MessageBytes(5, std::byte(9)) : empty ? MessageBytes() : original;
                    received[size_t(rank)] = broadcastFromRankZero(channels.channel(rank), std::move(mine), piece);
                });
            ranks.clear(); // (joins)
            for (const MessageBytes& bytes : received)
                EXPECT_EQ(bytes, empty ? MessageBytes() : original);
        }
    }
    ThreadRanks one(1);
    expectError<InvalidArgument>([&] { broadcastFromRankZero(one.channel(0), {}, 0); },
                                 {"pieces of 0 bytes, expected 1 or more"});
}

TEST(RankPipeline, AMessageGoesOverAsBytesAndABrokenOneIsRefused)
{
    StageMessage message;
    message.miniBatch = 3;
    message.microBatch = 1;
    message.sampleOffset = 8;
    message.miniBatchSize = 16;
    message.sentSeconds = 0.25;
    message.tensor = Tensor(Shape{2, 3});
    for (int i = 0; i < 6; ++i)
        message.tensor[i] = float(i) * 0.5f - 1.0f;
    message.labels = {4, 7};
    const MessageBytes bytes = packStageMessage(message);
    const StageMessage back = unpackStageMessage(bytes, "test message");
    EXPECT_EQ(back.miniBatch, 3);
    EXPECT_EQ(back.microBatch, 1);
    EXPECT_EQ(back.sampleOffset, 8);
    EXPECT_EQ(back.miniBatchSize, 16);
    EXPECT_EQ(back.sentSeconds, 0.25);
    EXPECT_EQ(back.tensor.shape(), (Shape{2, 3}));
    for (int i = 0; i < 6; ++i)
        EXPECT_EQ(back.tensor[i], message.tensor[i]);
    EXPECT_EQ(back.labels, (std::vector<int32_t>{4, 7}));

    // Cut short in the header, in the tensor, and in the labels.
    const MessageBytes inHeader(bytes.begin(), bytes.begin() + 20);
    expectError<Error>([&] { unpackStageMessage(inHeader, "the activation from rank 1"); },
                       {"the activation from rank 1", "the 20-byte message ends before byte 24"});
    const MessageBytes inTensor(bytes.begin(), bytes.begin() + 60);
    expectError<Error>([&] { unpackStageMessage(inTensor, "the activation"); },
                       {"a tensor larger than the 8 bytes left"});
    const MessageBytes inLabels(bytes.begin(), bytes.end() - 3);
    expectError<Error>([&] { unpackStageMessage(inLabels, "the activation"); },
                       {"a list of 2 values does not fit the 89-byte message"});
    MessageBytes longer = bytes;
    longer.push_back(std::byte{0});
    expectError<Error>([&] { unpackStageMessage(longer, "the gradient"); }, {"more than one message"});
    MessageBytes huge = bytes; // the tensor's first extent made enormous
    const int64_t enormous = int64_t(1) << 40;
    std::memcpy(huge.data() + 2 * sizeof(int32_t) + 2 * sizeof(int64_t) + sizeof(double) + sizeof(int32_t), &enormous,
                sizeof(enormous));
    expectError<Error>([&] { unpackStageMessage(huge, "the gradient"); }, {"larger than the"});
}

} // namespace
} // namespace lpm
