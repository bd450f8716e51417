// Tests of core/train/trainer: determinism, exact resume from checkpoints,
// thread-count independence, learning, stop requests and checkpoint mismatches.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <string>
#include <system_error>
#include <unistd.h>
#include <vector>

#include "data/synthetic_dataset.h"
#include "expect_error.h"
#include "nn/model_zoo.h"
#include "tensor/error.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using testing::HasSubstr;

namespace lpm {
namespace {

// The small data set most tests share: 512 training samples (so batch 16 gives
// 32 steps per epoch) and 128 test samples.
const DatasetSplits& smallData()
{
    static const DatasetSplits data = [] {
        SyntheticOptions options;
        options.trainCount = 512;
        options.testCount = 128;
        options.seed = 1;
        return makeSyntheticDataset(options);
    }();
    return data;
}

TrainOptions smallOptions(const std::string& model, int64_t steps, int64_t batch = 16)
{
    TrainOptions options;
    options.model = model;
    options.steps = steps;
    options.batch = batch;
    options.seed = 1;
    options.threads = 1;
    options.evaluate = false; // evaluation never changes the weights; skip it for speed
    options.optimizer.kind = "sgd";
    options.optimizer.learningRate = 0.05f;
    options.optimizer.momentum = 0.9f;
    return options;
}

// A fresh folder under the system temp folder, removed with everything in it.
class TempFolder {
public:
    TempFolder()
    {
        static int counter = 0;
        path_ = fs::temp_directory_path()
                / ("lpm-test-trainer-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempFolder()
    {
        std::error_code error;
        fs::remove_all(path_, error);
    }
    TempFolder(const TempFolder&) = delete;
    TempFolder& operator=(const TempFolder&) = delete;

    const fs::path& path() const { return path_; }
    fs::path operator/(const std::string& name) const { return path_ / name; }

private:
    fs::path path_;
};

std::string trainedDigest(const TrainOptions& options, const DatasetSplits& data = smallData())
{
    Trainer trainer(options, data);
    const TrainSummary summary = trainer.run();
    EXPECT_EQ(summary.steps, options.steps);
    EXPECT_EQ(summary.weightsDigest, trainer.weightsDigest());
    return summary.weightsDigest;
}

// Runs `total` steps straight and `first` + (total − first) steps with a
// checkpoint and a brand-new trainer in between; expects identical weights,
// buffers and (for evaluation mode) identical test results.
void expectExactResume(TrainOptions options, int64_t total, int64_t first)
{
    ASSERT_GT(first, 0);
    ASSERT_LT(first, total);

    options.steps = total;
    Trainer straight(options, smallData());
    const TrainSummary straightSummary = straight.run();
    ASSERT_EQ(straightSummary.steps, total);
    ASSERT_EQ(straightSummary.globalStep, total);

    TempFolder folder;
    const fs::path checkpoint = folder / "resume.ckpt";
    std::string digestAtCheckpoint, stateAtCheckpoint;
    {
        options.steps = first;
        Trainer before(options, smallData());
        const TrainSummary summary = before.run();
        ASSERT_EQ(summary.globalStep, first);
        before.saveCheckpoint(checkpoint);
        digestAtCheckpoint = before.weightsDigest();
        stateAtCheckpoint = before.optimizerStateDigest();
    }
    options.steps = total - first;
    Trainer after(options, smallData());
    const std::string initialDigest = after.weightsDigest();
    after.loadCheckpoint(checkpoint);
    EXPECT_EQ(after.globalStep(), first);
    EXPECT_EQ(after.weightsDigest(), digestAtCheckpoint);
    EXPECT_EQ(after.optimizerStateDigest(), stateAtCheckpoint); // the momentum (Adam: moments) and step count too
    EXPECT_NE(after.weightsDigest(), initialDigest);
    const TrainSummary resumed = after.run();
    EXPECT_EQ(resumed.steps, total - first);
    EXPECT_EQ(resumed.globalStep, total);
    EXPECT_EQ(resumed.weightsDigest, straightSummary.weightsDigest)
        << options.model << " " << options.optimizer.kind << ", resumed at step " << first << " of " << total;
    EXPECT_EQ(resumed.optimizerStateDigest, straightSummary.optimizerStateDigest);

    // Evaluation mode uses the batch-norm running statistics (buffers): the
    // resumed model must score bit-identically.
    const EvaluationResult a = straight.evaluate();
    const EvaluationResult b = after.evaluate();
    EXPECT_EQ(a.meanLoss, b.meanLoss);
    EXPECT_EQ(a.accuracy, b.accuracy);
    EXPECT_EQ(a.samples, b.samples);
}

// --- determinism ------------------------------------------------------------

TEST(TrainerDeterminism, SameSeedGivesIdenticalWeights)
{
    for (const std::string model : {"mlp", "lenet5", "cnn"}) {
        SCOPED_TRACE(model);
        const TrainOptions options = smallOptions(model, 4);
        const std::string first = trainedDigest(options);
        const std::string second = trainedDigest(options);
        EXPECT_EQ(first.size(), 16u);
        EXPECT_EQ(first, second);
    }
}

TEST(TrainerDeterminism, SameSeedGivesIdenticalWeightsWithDropoutAndBatchNorm)
{
    const TrainOptions options = smallOptions("vgg-mini", 2, 8);
    EXPECT_EQ(trainedDigest(options), trainedDigest(options));
}

TEST(TrainerDeterminism, WeightDifferencesAreMeasuredBetweenStoresOfOneModel)
{
    Model mlp = buildModel("mlp"), cnn = buildModel("cnn");
    ParameterStore a(mlp), b(mlp), other(cnn);
    a.initialize(1);
    b.initialize(1);
    EXPECT_EQ(largestRelativeDifference(a, b).parameters, 0.0);
    b.initialize(2);
    EXPECT_GT(largestRelativeDifference(a, b).parameters, 0.0);
    expectError<InvalidArgument>([&] { largestRelativeDifference(a, other); },
                                 {"comparing weights of different models"});
}

TEST(TrainerDeterminism, DifferentSeedGivesDifferentWeights)
{
    for (const std::string model : {"mlp", "lenet5"}) {
        SCOPED_TRACE(model);
        TrainOptions options = smallOptions(model, 3);
        const std::string seed1 = trainedDigest(options);
        options.seed = 2;
        const std::string seed2 = trainedDigest(options);
        EXPECT_NE(seed1, seed2);
    }
}

TEST(TrainerDeterminism, TrainingChangesTheWeights)
{
    TrainOptions options = smallOptions("mlp", 2);
    Trainer trainer(options, smallData());
    const std::string initial = trainer.weightsDigest();
    EXPECT_EQ(trainer.globalStep(), 0);
    const TrainSummary summary = trainer.run();
    EXPECT_NE(summary.weightsDigest, initial);
    EXPECT_EQ(trainer.globalStep(), 2);
}

TEST(TrainerDeterminism, ThreadCountDoesNotChangeResults)
{
    // The CPU backend promises results independent of the thread count.
    TrainOptions options = smallOptions("cnn", 3);
    options.threads = 1;
    const std::string oneThread = trainedDigest(options);
    options.threads = 2;
    const std::string twoThreads = trainedDigest(options);
    EXPECT_EQ(oneThread, twoThreads);
}

TEST(TrainerDeterminism, ThreadCountDoesNotChangeResultsWithBatchNorm)
{
    TrainOptions options = smallOptions("vgg-mini", 2, 8);
    options.threads = 1;
    const std::string oneThread = trainedDigest(options);
    options.threads = 2;
    const std::string twoThreads = trainedDigest(options);
    EXPECT_EQ(oneThread, twoThreads);
}

// --- exact resume -------------------------------------------------------------

TEST(TrainerResume, SgdMomentumMidEpoch)
{
    // 32 steps per epoch: 5 + 7 stays inside epoch 0.
    expectExactResume(smallOptions("mlp", 0), 12, 5);
}

TEST(TrainerResume, SgdNesterovWithWeightDecay)
{
    TrainOptions options = smallOptions("lenet5", 0);
    options.optimizer.nesterov = true;
    options.optimizer.weightDecay = 1e-3f;
    expectExactResume(options, 10, 4);
}

TEST(TrainerResume, SgdWithoutMomentum)
{
    TrainOptions options = smallOptions("mlp", 0);
    options.optimizer.momentum = 0.0f;
    expectExactResume(options, 8, 3);
}

TEST(TrainerResume, Adam)
{
    TrainOptions options = smallOptions("mlp", 0);
    options.optimizer.kind = "adam";
    options.optimizer.learningRate = 1e-3f;
    expectExactResume(options, 10, 6);
}

TEST(TrainerResume, AdamWithWeightDecayOnCnn)
{
    TrainOptions options = smallOptions("cnn", 0);
    options.optimizer.kind = "adam";
    options.optimizer.learningRate = 1e-3f;
    options.optimizer.weightDecay = 1e-4f;
    expectExactResume(options, 5, 2);
}

TEST(TrainerResume, VggMiniWithDropoutAndBatchNorm)
{
    expectExactResume(smallOptions("vgg-mini", 0, 8), 5, 2);
}

TEST(TrainerResume, ResumedRunCrossesAnEpochBoundary)
{
    // 32 steps per epoch: resume at step 28, run on to 40 (through epoch 1's start).
    const TrainOptions options = smallOptions("mlp", 0);
    ASSERT_EQ(Trainer(options, smallData()).batchesPerEpoch(), 32);
    expectExactResume(options, 40, 28);
}

TEST(TrainerResume, ResumeExactlyOnAnEpochBoundary)
{
    TrainOptions options = smallOptions("mlp", 0);
    options.optimizer.kind = "adam";
    options.optimizer.learningRate = 1e-3f;
    expectExactResume(options, 36, 32);
}

TEST(TrainerResume, EpochModeResumesByWholeEpochs)
{
    // A small set (5 steps per epoch with batch 16 from 80 samples, evaluated):
    // 1 epoch + 1 epoch after a checkpoint equals 2 epochs straight.
    SyntheticOptions dataOptions;
    dataOptions.trainCount = 80;
    dataOptions.testCount = 32;
    dataOptions.seed = 3;
    const DatasetSplits data = makeSyntheticDataset(dataOptions);
    TrainOptions options = smallOptions("lenet5", 0);
    options.evaluate = true;
    options.epochs = 2;

    Trainer straight(options, data);
    ASSERT_EQ(straight.batchesPerEpoch(), 5);
    const TrainSummary full = straight.run();
    EXPECT_EQ(full.steps, 10);
    EXPECT_DOUBLE_EQ(full.epochs, 2.0);

    TempFolder folder;
    options.epochs = 1;
    Trainer first(options, data);
    EXPECT_EQ(first.run().globalStep, 5);
    first.saveCheckpoint(folder / "epoch1.ckpt");
    Trainer second(options, data);
    second.loadCheckpoint(folder / "epoch1.ckpt");
    const TrainSummary resumed = second.run();
    EXPECT_EQ(resumed.steps, 5);
    EXPECT_EQ(resumed.globalStep, 10);
    EXPECT_DOUBLE_EQ(resumed.epochs, 2.0);
    EXPECT_EQ(resumed.weightsDigest, full.weightsDigest);
    EXPECT_EQ(resumed.optimizerStateDigest, full.optimizerStateDigest);
    EXPECT_EQ(resumed.testAccuracy, full.testAccuracy);
    EXPECT_EQ(resumed.testLoss, full.testLoss);
    EXPECT_EQ(resumed.trainLoss, full.trainLoss); // both: the mean over epoch 1's steps
}

TEST(TrainerResume, CheckpointOfAnUntrainedModelRoundTrips)
{
    TempFolder folder;
    const TrainOptions options = smallOptions("lenet5", 3);
    Trainer source(options, smallData());
    source.saveCheckpoint(folder / "zero.ckpt");
    Trainer target(options, smallData());
    target.loadCheckpoint(folder / "zero.ckpt");
    EXPECT_EQ(target.globalStep(), 0);
    EXPECT_EQ(target.weightsDigest(), source.weightsDigest());
    EXPECT_EQ(target.run().weightsDigest, source.run().weightsDigest);
}

// --- learning -----------------------------------------------------------------

TEST(TrainerLearning, CnnLearnsTheSyntheticSetInTwoEpochs)
{
    DatasetSplits data = makeSyntheticDataset(SyntheticOptions{}); // 6,000 / 1,000
    standardizeImages(data);                                       // as `lpm train` does
    TrainOptions options;
    options.model = "cnn";
    options.epochs = 2;
    options.batch = 64;
    options.optimizer.kind = "sgd";
    options.optimizer.learningRate = 0.05f;
    options.seed = 1;

    int evaluations = 0;
    Trainer trainer(options, data);
    const TrainSummary summary = trainer.run([&](const TrainProgress& progress) {
        EXPECT_EQ(progress.totalSteps, 2 * 93);
        EXPECT_GE(progress.step, 1);
        EXPECT_LE(progress.step, progress.totalSteps);
        EXPECT_TRUE(std::isfinite(progress.meanLoss));
        if (progress.evaluated)
            ++evaluations;
    });
    EXPECT_EQ(summary.steps, 2 * (6000 / 64));
    EXPECT_EQ(summary.globalStep, 2 * (6000 / 64));
    EXPECT_DOUBLE_EQ(summary.epochs, 2.0);
    EXPECT_FALSE(summary.stopped);
    ASSERT_TRUE(summary.evaluated);
    EXPECT_EQ(evaluations, 2); // one per epoch end (the last is also the last step)
    // Measured 0.859, 0.875, 0.850 for seeds 1-3 (0.58-0.67 after one epoch:
    // the synthetic classes overlap on purpose).
    EXPECT_GT(summary.testAccuracy, 0.75);
    EXPECT_LE(summary.testAccuracy, 1.0);
    EXPECT_GT(summary.trainAccuracy, 0.5); // mean over the second epoch
    EXPECT_GT(summary.samplesPerSecond, 0.0);
    EXPECT_GT(summary.trainingSeconds, 0.0);
    // The summary's test figures are those of the final weights.
    const EvaluationResult evaluation = trainer.evaluate();
    EXPECT_EQ(evaluation.samples, 1000);
    EXPECT_DOUBLE_EQ(evaluation.accuracy, summary.testAccuracy);
    EXPECT_DOUBLE_EQ(evaluation.meanLoss, summary.testLoss);
}

// --- progress and stop --------------------------------------------------------

TEST(TrainerProgress, ReportsEveryNStepsAndAtTheEnd)
{
    TrainOptions options = smallOptions("mlp", 10);
    Trainer trainer(options, smallData());
    std::vector<int64_t> reported;
    trainer.run(
        [&](const TrainProgress& progress) {
            reported.push_back(progress.step);
            EXPECT_EQ(progress.totalSteps, 10);
            EXPECT_EQ(progress.globalStep, progress.step);
            EXPECT_FALSE(progress.evaluated);
            EXPECT_GT(progress.meanLoss, 0.0);
        },
        nullptr, 4);
    EXPECT_EQ(reported, (std::vector<int64_t>{4, 8, 10}));
}

TEST(TrainerProgress, StopFlagEndsTheRunEarly)
{
    TrainOptions options = smallOptions("mlp", 20);
    Trainer trainer(options, smallData());
    std::atomic<bool> stop{false};
    int reports = 0;
    const TrainSummary summary = trainer.run(
        [&](const TrainProgress&) {
            if (++reports == 3)
                stop.store(true);
        },
        &stop, 1);
    EXPECT_TRUE(summary.stopped);
    EXPECT_EQ(reports, 3);
    EXPECT_EQ(summary.steps, 3);
    EXPECT_LT(summary.steps, options.steps);
    EXPECT_EQ(summary.globalStep, 3);
    EXPECT_EQ(trainer.globalStep(), 3);

    // The stopped run's weights are those of 3 uninterrupted steps.
    EXPECT_EQ(summary.weightsDigest, trainedDigest(smallOptions("mlp", 3)));
}

TEST(TrainerProgress, StopFlagAlreadySetRunsNoStep)
{
    TrainOptions options = smallOptions("mlp", 5);
    Trainer trainer(options, smallData());
    const std::string initial = trainer.weightsDigest();
    std::atomic<bool> stop{true};
    const TrainSummary summary = trainer.run({}, &stop);
    EXPECT_TRUE(summary.stopped);
    EXPECT_EQ(summary.steps, 0);
    EXPECT_EQ(summary.weightsDigest, initial);
}

// --- invalid options ----------------------------------------------------------

TEST(TrainerOptions, RejectsInvalidOptions)
{
    TrainOptions options = smallOptions("mlp", 1);
    options.threads = 0;
    expectError<InvalidArgument>([&] { Trainer(options, smallData()); }, {"threads must be at least 1"});
    options = smallOptions("no-such-model", 1);
    expectError<InvalidArgument>([&] { Trainer(options, smallData()); }, {"unknown model 'no-such-model'"});
    options = smallOptions("mlp", 1, 0);
    expectError<InvalidArgument>([&] { Trainer(options, smallData()); }, {"batch size 0"});
    options = smallOptions("mlp", 1, 1024); // more than the 512 training samples
    expectError<InvalidArgument>([&] { Trainer(options, smallData()); }, {"1024", "512 samples"});
    options = smallOptions("mlp", 1);
    options.microBatches = 17; // more than the batch of 16
    expectError<InvalidArgument>([&] { Trainer(options, smallData()); },
                                 {"micro-batches must be between 1 and the batch size 16, got 17"});
    options = smallOptions("mlp", -1);
    expectError<InvalidArgument>([&] { Trainer(options, smallData()); }, {"must not be negative"});
    options = smallOptions("mlp", 1);
    options.optimizer.learningRate = 0.0f;
    expectError<InvalidArgument>([&] { Trainer(options, smallData()); }, {"learning rate must be positive"});
    options = smallOptions("mlp", 1);
    options.optimizer.kind = "rmsprop";
    expectError<InvalidArgument>([&] { Trainer(options, smallData()); }, {"unknown optimizer 'rmsprop'", "sgd, adam"});
    options = smallOptions("mlp", 1);
    options.schedule = "lpm";
    options.stages = {{0, 1, 0}, {2, buildModel("mlp").unitCount() - 1, 1}};
    options.stageBackends = {"cpu"}; // one backend named for two stages
    expectError<InvalidArgument>([&] { Trainer(options, smallData()); }, {"stage backends: 1 named for 2 stages"});
}

TEST(TrainerOptions, RejectsDataOfTheWrongShape)
{
    SyntheticOptions dataOptions;
    dataOptions.trainCount = 64;
    dataOptions.testCount = 16;
    dataOptions.height = 14;
    dataOptions.width = 14;
    const DatasetSplits data = makeSyntheticDataset(dataOptions);
    try {
        Trainer trainer(smallOptions("mlp", 1), data);
        FAIL() << "expected InvalidArgument";
    } catch (const InvalidArgument& error) {
        EXPECT_THAT(error.what(), HasSubstr("mlp"));
    }
}

// --- mismatched checkpoints ---------------------------------------------------

class TrainerCheckpointMismatch : public testing::Test {
protected:
    void SetUp() override
    {
        checkpoint_ = folder_ / "mlp-seed1-batch16-sgd.ckpt";
        Trainer source(smallOptions("mlp", 2), smallData());
        source.run();
        source.saveCheckpoint(checkpoint_);
    }

    // Loading the checkpoint into a trainer built from `options` must throw a
    // FileError naming the file and `flag`, and leave the trainer unchanged.
    void expectMismatch(const TrainOptions& options, const std::string& flag)
    {
        SCOPED_TRACE(flag);
        Trainer trainer(options, smallData());
        const std::string before = trainer.weightsDigest();
        try {
            trainer.loadCheckpoint(checkpoint_);
            ADD_FAILURE() << "expected FileError for a different " << flag;
        } catch (const FileError& error) {
            EXPECT_THAT(error.what(), HasSubstr(checkpoint_.string()));
            EXPECT_THAT(error.what(), HasSubstr(flag));
        }
        EXPECT_EQ(trainer.weightsDigest(), before);
        EXPECT_EQ(trainer.globalStep(), 0);
        // And the trainer still trains exactly like a fresh one.
        Trainer reference(options, smallData());
        EXPECT_EQ(trainer.run().weightsDigest, reference.run().weightsDigest);
    }

    TempFolder folder_;
    fs::path checkpoint_;
};

TEST_F(TrainerCheckpointMismatch, MatchingOptionsLoad)
{
    Trainer trainer(smallOptions("mlp", 1), smallData());
    trainer.loadCheckpoint(checkpoint_);
    EXPECT_EQ(trainer.globalStep(), 2);
}

TEST_F(TrainerCheckpointMismatch, OtherModel)
{
    expectMismatch(smallOptions("lenet5", 1), "--model");
}

TEST_F(TrainerCheckpointMismatch, OtherSeed)
{
    TrainOptions options = smallOptions("mlp", 1);
    options.seed = 2;
    expectMismatch(options, "--seed");
}

TEST_F(TrainerCheckpointMismatch, OtherBatch)
{
    expectMismatch(smallOptions("mlp", 1, 32), "--batch");
}

TEST_F(TrainerCheckpointMismatch, OtherMicroBatches)
{
    TrainOptions options = smallOptions("mlp", 1);
    options.microBatches = 2;
    expectMismatch(options, "--micro-batches");
}

TEST_F(TrainerCheckpointMismatch, OtherOptimizer)
{
    TrainOptions options = smallOptions("mlp", 1);
    options.optimizer.kind = "adam";
    options.optimizer.learningRate = 1e-3f;
    expectMismatch(options, "--optimizer");
}

TEST_F(TrainerCheckpointMismatch, MomentumTurnedOff)
{
    TrainOptions options = smallOptions("mlp", 1);
    options.optimizer.momentum = 0.0f;
    expectMismatch(options, "--momentum");
}

TEST_F(TrainerCheckpointMismatch, OtherLearningRateOrWeightDecay)
{
    TrainOptions options = smallOptions("mlp", 1);
    options.optimizer.learningRate *= 2.0f;
    expectMismatch(options, "--lr");
    options = smallOptions("mlp", 1);
    options.optimizer.weightDecay = 1e-4f;
    expectMismatch(options, "--weight-decay");
    options = smallOptions("mlp", 1);
    options.optimizer.nesterov = true;
    expectMismatch(options, "--nesterov");
}

TEST(TrainerLearning, DivergenceIsAnErrorNamingTheStep)
{
    DatasetSplits data = makeSyntheticDataset(SyntheticOptions{512, 128});
    standardizeImages(data);
    TrainOptions options;
    options.model = "mlp";
    options.steps = 30;
    options.batch = 32;
    options.optimizer.learningRate = 1000.0f; // measured: the loss is NaN within 30 steps
    Trainer trainer(options, data);
    try {
        trainer.run();
        FAIL() << "expected the run to diverge";
    } catch (const Error& error) {
        EXPECT_THAT(error.what(), ::testing::HasSubstr("not finite at step"));
        EXPECT_THAT(error.what(), ::testing::HasSubstr("--lr"));
    }
}

} // namespace
} // namespace lpm
