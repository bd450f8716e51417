#include "cli/train_command.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>

#include "cli/output_files.h"
#include "cli/progress_bar.h"
#include "data/dataset.h"
#include "nn/model_zoo.h"
#include "train/trainer.h"

namespace lpm::cli {

namespace {

struct TrainCommandOptions {
    TrainOptions train;
    std::string dataset = "fashion-mnist";
    double learningRate = 0.0; // 0 until set: the optimizer's default
    std::string saveCheckpoint;
    std::string loadCheckpoint;
    std::string jsonFile;
    bool quiet = false;
};

std::atomic<bool> stopRequested{false};

extern "C" void requestStop(int)
{
    stopRequested.store(true);
}

// While alive, Ctrl+C and SIGTERM ask the run to stop after the current step
// instead of killing the process; the previous handlers come back on exit.
class StopOnSignal {
public:
    StopOnSignal()
    {
        stopRequested.store(false);
        previousInterrupt_ = std::signal(SIGINT, requestStop);
        previousTerminate_ = std::signal(SIGTERM, requestStop);
    }
    ~StopOnSignal()
    {
        std::signal(SIGINT, previousInterrupt_);
        std::signal(SIGTERM, previousTerminate_);
    }
    StopOnSignal(const StopOnSignal&) = delete;
    StopOnSignal& operator=(const StopOnSignal&) = delete;

private:
    void (*previousInterrupt_)(int);
    void (*previousTerminate_)(int);
};

std::string progressDetail(const TrainProgress& progress)
{
    char text[160];
    int length = std::snprintf(text, sizeof text, "epoch %lld  loss %.4f  %.0f samples/s",
                               static_cast<long long>(progress.epoch + 1), progress.meanLoss,
                               progress.samplesPerSecond);
    if (progress.evaluated)
        std::snprintf(text + length, sizeof text - size_t(length), "  test acc %.4f",
                      progress.testAccuracy);
    return text;
}

nlohmann::json summaryJson(const TrainCommandOptions& options, const TrainSummary& summary)
{
    const TrainOptions& train = options.train;
    return {{"command", "train"},
            {"schedule", "sequential"},
            {"model", train.model},
            {"dataset", options.dataset},
            {"batch", train.batch},
            {"micro_batches", train.microBatches},
            {"optimizer", train.optimizer.kind},
            {"learning_rate", options.learningRate},
            {"seed", train.seed},
            {"threads", train.threads},
            {"steps", summary.steps},
            {"global_step", summary.globalStep},
            {"epochs", summary.epochs},
            {"train_loss", summary.trainLoss},
            {"train_accuracy", summary.trainAccuracy},
            {"evaluated", summary.evaluated},
            {"test_loss", summary.testLoss},
            {"test_accuracy", summary.testAccuracy},
            {"training_seconds", summary.trainingSeconds},
            {"samples_per_second", summary.samplesPerSecond},
            {"stopped", summary.stopped},
            {"weights_digest", summary.weightsDigest}};
}

void runTrain(TrainCommandOptions options)
{
    OptimizerOptions& optimizer = options.train.optimizer;
    if (options.learningRate <= 0.0)
        options.learningRate = optimizer.kind == "adam" ? 1e-3 : 0.05;
    optimizer.learningRate = float(options.learningRate);
    // Everything that can be checked before the (slow) data loading is checked first.
    buildModel(options.train.model);
    if (!options.jsonFile.empty())
        requireWritableOutput(options.jsonFile, "--json");
    if (!options.saveCheckpoint.empty())
        requireWritableOutput(options.saveCheckpoint, "--save-checkpoint");

    DatasetSplits data = loadDataset(options.dataset, options.train.seed);
    standardizeImages(data); // zero mean, unit variance: cnn gains ~1 point in one epoch
    Trainer trainer(options.train, data);
    if (!options.loadCheckpoint.empty())
        trainer.loadCheckpoint(options.loadCheckpoint);
    if (!options.quiet)
        std::fprintf(stderr, "training %s on %s (%lld train / %lld test samples), batch %lld, %s, "
                             "%d thread(s), from step %lld\n",
                     options.train.model.c_str(), data.train.name.c_str(),
                     static_cast<long long>(data.train.count),
                     static_cast<long long>(data.test.count),
                     static_cast<long long>(options.train.batch), optimizer.kind.c_str(),
                     options.train.threads, static_cast<long long>(trainer.globalStep()));

    ProgressBar bar(stderr);
    auto report = [&](const TrainProgress& progress) {
        if (!options.quiet)
            bar.update({progress.step, progress.totalSteps, progress.wallSeconds,
                        progressDetail(progress)},
                       progress.evaluated);
    };
    TrainSummary summary;
    try {
        StopOnSignal stopOnSignal;
        summary = trainer.run(report, &stopRequested);
    } catch (...) {
        bar.finish(); // the error goes on a line of its own
        throw;
    }
    bar.finish();

    if (!options.saveCheckpoint.empty())
        trainer.saveCheckpoint(options.saveCheckpoint);
    if (!options.jsonFile.empty())
        writeJsonFile(options.jsonFile, summaryJson(options, summary));
    std::printf("%s%lld steps (global step %lld), %.1f samples/s over %.1f s of training\n",
                summary.stopped ? "stopped after " : "", static_cast<long long>(summary.steps),
                static_cast<long long>(summary.globalStep), summary.samplesPerSecond,
                summary.trainingSeconds);
    std::printf("train loss %.4f, train accuracy %.4f", summary.trainLoss, summary.trainAccuracy);
    if (summary.evaluated)
        std::printf(", test loss %.4f, test accuracy %.4f", summary.testLoss, summary.testAccuracy);
    std::printf("\nweights digest %s\n", summary.weightsDigest.c_str());
}

} // namespace

void addTrainCommand(CLI::App& app)
{
    auto options = std::make_shared<TrainCommandOptions>();
    TrainOptions& train = options->train;
    CLI::App* command = app.add_subcommand(
        "train", "Train a zoo model with the sequential reference schedule on the CPU");
    command->add_option("--model", train.model, "Zoo model (see `lpm models`)")
        ->capture_default_str();
    command->add_option("--dataset", options->dataset,
                        "fashion-mnist, synthetic, or a folder with the four MNIST-format IDX "
                        "files (optionally .gz)")
        ->capture_default_str();
    auto* epochs = command->add_option("--epochs", train.epochs, "Epochs to train")
                       ->check(CLI::PositiveNumber)
                       ->capture_default_str();
    command->add_option("--steps", train.steps,
                        "Train exactly this many steps (mini-batches) instead of epochs; after "
                        "--load-checkpoint, this many further steps")
        ->check(CLI::PositiveNumber)
        ->excludes(epochs);
    command->add_option("--batch", train.batch, "Mini-batch size (samples per step)")
        ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
        ->capture_default_str();
    command->add_option("--micro-batches", train.microBatches,
                        "Split every mini-batch into this many micro-batches whose gradients "
                        "are accumulated")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command->add_option("--optimizer", train.optimizer.kind, "sgd or adam")
        ->check(CLI::IsMember({"sgd", "adam"}))
        ->capture_default_str();
    command->add_option("--lr", options->learningRate,
                        "Learning rate (default: 0.05 for sgd, 0.001 for adam)")
        ->check(CLI::PositiveNumber);
    command->add_option("--momentum", train.optimizer.momentum, "SGD momentum (0 to disable)")
        ->check(CLI::Range(0.0, 0.999999))
        ->capture_default_str();
    command->add_flag("--nesterov", train.optimizer.nesterov, "Use Nesterov momentum (SGD)");
    command->add_option("--weight-decay", train.optimizer.weightDecay, "L2 weight decay")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    command->add_option("--seed", train.seed,
                        "Seed for initialisation, data order and dropout; same seed, same run")
        ->capture_default_str();
    command->add_option("--threads", train.threads, "CPU threads for the computation")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    command->add_option("--save-checkpoint", options->saveCheckpoint,
                        "Write a checkpoint to this file at the end (atomically)");
    command->add_option("--load-checkpoint", options->loadCheckpoint,
                        "Resume from this checkpoint; --model, --batch, --micro-batches, --seed "
                        "and the optimizer settings must be those it was saved with")
        ->check(CLI::ExistingFile);
    command->add_option("--json", options->jsonFile,
                        "Write a summary (test_accuracy, samples_per_second, steps, "
                        "weights_digest, ...) to this JSON file");
    command->add_flag("--no-eval", [options](int64_t) { options->train.evaluate = false; },
                      "Skip evaluation on the test set");
    command->add_flag("--quiet", options->quiet, "No progress output");
    command->callback([options] { runTrain(*options); });
}

} // namespace lpm::cli
