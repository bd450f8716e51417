#include "cli/train_command.h"

#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>

#include "backend/cpu/blas_kernel.h"
#include "cli/output_files.h"
#include "cli/plan_report.h"
#include "cli/progress_bar.h"
#include "cli/train_ranks.h"
#include "cli/training_plan.h"
#include "data/dataset.h"
#include "devices/training_devices.h"
#include "graph/model_source.h"
#include "graph/onnx_writer.h"
#include "io/atomic_file.h"
#include "nn/model_zoo.h"
#include "pipeline/chrome_trace.h"
#include "plan/partitioners.h"
#include "plan/plan_json.h"
#include "schedule/schedule.h"
#include "schedule/timeline_summary.h"
#include "sim/calibration.h"
#include "sim/prediction.h"
#include "tensor/error.h"
#include "train/design.h"
#include "train/trainer.h"
#include "train/training_data.h"
#include "train/training_session.h"

namespace lpm::cli {

namespace {

struct TrainCommandOptions {
    TrainOptions train;
    std::string dataset;       // empty: defaultDatasetFor(the model)
    double learningRate = 0.0; // 0 until set: the optimizer's default
    std::string saveCheckpoint;
    int64_t checkpointEvery = 0; // steps between checkpoints written during the run (0: at the end only)
    std::string loadCheckpoint;
    std::string exportOnnx; // an imported model's file again, with the trained weights
    std::string jsonFile;
    bool quiet = false;
    // Pipelined training (any of these set): the plan's stages run in parallel.
    std::string devices;
    std::string schedule;
    std::string partitioner = "lpm";
    std::string planFile;
    std::string traceFile;
    std::string costsFile;     // unit costs to plan with (`lpm profile`, or --save-costs of an earlier run)
    std::string saveCostsFile; // the plan's costs calibrated on this run
    bool compareSequential = false;
    bool recompute = false; // every stage recomputes (the executor runs even sequential then)
    int chunks = 0;         // interleaved: model chunks per device (0: the default, 2)
    std::string replicas;   // --replicas: CPU cores per stage, or auto (empty: 1)

    bool pipelined() const
    {
        return !devices.empty() || !planFile.empty() || recompute || !replicas.empty()
               || (!schedule.empty() && !scheduleTraits(schedule).singleStage);
    }
};

// What a pipelined run adds to the summary: the plan, its prediction and the
// measured timeline.
struct PipelineReport {
    Plan plan;
    Prediction prediction;
    PlanAdvice advice; // the plan's speedup ceiling, bottleneck and any better schedule
    TimelineSummary measured;
    double measuredIterationSeconds = 0.0;
    // The prediction for what was measured: this run's segments, each with
    // its fill and drain (predictRunSeconds), per mini-batch; 0 after a stop.
    double predictedRunIterationSeconds = 0.0;
    double sequentialSeconds = 0.0; // --compare-sequential: the sequential run's training time
    bool sequentialWeightsEqual = false;
    StoreDifference sequentialWeightsDifference; // largestRelativeDifference from the sequential run's
    bool sequentialOptimizerStateEqual = false;
};

std::atomic<bool> stopRequested{false};

extern "C" void requestStop(int)
{
    stopRequested.store(true);
}

// While alive, Ctrl+C, SIGTERM and SIGUSR1 ask the run to stop after the
// current step instead of killing the process; the previous handlers come
// back on exit. (mpirun forwards SIGUSR1 to every rank, and rank 0 stops the
// job; on Ctrl+C or SIGTERM it kills the ranks a second later.)
class StopOnSignal {
public:
    StopOnSignal()
    {
        stopRequested.store(false);
        for (size_t i = 0; i < kSignals.size(); ++i)
            previous_[i] = std::signal(kSignals[i], requestStop);
    }
    ~StopOnSignal()
    {
        for (size_t i = 0; i < kSignals.size(); ++i)
            std::signal(kSignals[i], previous_[i]);
    }
    StopOnSignal(const StopOnSignal&) = delete;
    StopOnSignal& operator=(const StopOnSignal&) = delete;

private:
    static constexpr std::array<int, 3> kSignals = {SIGINT, SIGTERM, SIGUSR1};
    std::array<void (*)(int), 3> previous_{};
};

std::string progressDetail(const TrainProgress& progress)
{
    char text[160];
    int length =
        std::snprintf(text, sizeof text, "epoch %lld  loss %.4f  %.0f samples/s",
                      static_cast<long long>(progress.epoch + 1), progress.meanLoss, progress.samplesPerSecond);
    if (progress.subsetSize > 0 && length < int(sizeof text))
        length +=
            std::snprintf(text + length, sizeof text - size_t(length), "  subset acc %.4f", progress.subsetAccuracy);
    if (progress.evaluated && length < int(sizeof text))
        std::snprintf(text + length, sizeof text - size_t(length), "  test acc %.4f", progress.testAccuracy);
    return text;
}

nlohmann::json pipelineJson(const PipelineReport& report, const TrainSummary& summary)
{
    nlohmann::json stages = nlohmann::json::array();
    for (size_t s = 0; s < report.plan.stages.size(); ++s) {
        const PlannedStage& stage = report.plan.stages[s];
        const double busy = s < report.measured.busySeconds.size() && report.measured.makespanSeconds > 0.0
                                ? report.measured.busySeconds[s] / report.measured.makespanSeconds
                                : 0.0;
        stages.push_back({{"device", report.plan.devices[size_t(stage.device)].label},
                          {"first_unit", stage.first},
                          {"last_unit", stage.last},
                          {"recompute", stage.recompute},
                          {"replicas", stage.replicas},
                          {"busy_fraction", busy},
                          {"predicted_busy_fraction", report.prediction.stages[s].busyFraction}});
    }
    nlohmann::json document = {{"devices", report.plan.deviceSpec},
                               {"partitioner", report.plan.partitioner},
                               {"measured_iteration_ms", report.measuredIterationSeconds * 1e3},
                               {"predicted_iteration_ms", report.prediction.iterationSeconds * 1e3},
                               {"predicted_run_iteration_ms", report.predictedRunIterationSeconds * 1e3},
                               {"bubble_fraction", report.measured.bubbleFraction},
                               {"predicted_bubble_fraction", report.prediction.bubbleFraction},
                               {"stages", stages}};
    document.update(adviceJson(report.advice));
    if (report.sequentialSeconds > 0.0) {
        document["sequential_training_seconds"] = report.sequentialSeconds;
        document["speedup_vs_sequential"] = report.sequentialSeconds / summary.trainingSeconds;
        document["weights_equal_sequential"] = report.sequentialWeightsEqual;
        document["weights_difference_from_sequential"] = report.sequentialWeightsDifference.parameters;
        document["buffers_difference_from_sequential"] = report.sequentialWeightsDifference.buffers;
        document["optimizer_state_equal_sequential"] = report.sequentialOptimizerStateEqual;
    }
    return document;
}

nlohmann::json summaryJson(const TrainCommandOptions& options, const TrainSummary& summary)
{
    const TrainOptions& train = options.train;
    nlohmann::json document = {{"command", "train"},
                               {"schedule", train.schedule},
                               {"stage_count", summary.stages},
                               {"chunks", train.chunks},
                               {"weight_stash", train.weightStash},
                               {"model", train.model},
                               {"dataset", options.dataset},
                               {"batch", train.batch},
                               {"micro_batches", train.microBatches},
                               {"optimizer", train.optimizer.kind},
                               {"learning_rate", options.learningRate},
                               {"lr_schedule", train.optimizer.schedule},
                               {"warmup_steps", train.optimizer.warmupSteps},
                               {"clip_grad_norm", train.optimizer.clipGradNorm},
                               {"seed", train.seed},
                               {"threads", train.threads},
                               {"backend", train.backend},
                               {"tf32", train.tf32},
                               {"steps", summary.steps},
                               {"global_step", summary.globalStep},
                               {"epochs", summary.epochs},
                               {"train_loss", summary.trainLoss},
                               {"train_accuracy", summary.trainAccuracy},
                               {"evaluated", summary.evaluated},
                               {"test_loss", summary.testLoss},
                               {"test_accuracy", summary.testAccuracy},
                               {"live_evaluations", summary.liveEvaluations},
                               {"live_evaluation_samples", summary.liveEvaluationSamples},
                               {"live_evaluation_seconds", summary.liveEvaluationSeconds},
                               {"training_seconds", summary.trainingSeconds},
                               {"samples_per_second", summary.samplesPerSecond},
                               {"stopped", summary.stopped},
                               {"weights_digest", summary.weightsDigest},
                               {"optimizer_state_digest", summary.optimizerStateDigest},
                               {"blas_kernel", runningBlasKernel()},
                               {"blas_kernel_detail", blasKernelReport().describe()}};
    if (modelTokens(train.model) > 0 && summary.evaluated) {
        // A language model's validation figures: the mean loss per byte in
        // nats and in bits, and the perplexity.
        document["validation_loss"] = summary.testLoss;
        document["bits_per_byte"] = bitsPerByte(summary.testLoss);
        document["perplexity"] = std::exp(summary.testLoss);
    }
    return document;
}

void printPipelineReport(const PipelineReport& report, const TrainSummary& summary)
{
    std::printf("%s on %s, %zu stages:", report.plan.schedule.c_str(), report.plan.deviceSpec.c_str(),
                report.plan.stages.size());
    for (size_t s = 0; s < report.plan.stages.size(); ++s) {
        const PlannedStage& stage = report.plan.stages[s];
        const double busy = report.measured.makespanSeconds > 0.0
                                ? report.measured.busySeconds[s] / report.measured.makespanSeconds
                                : 0.0;
        const std::string cores = stage.replicas > 1 ? " (on " + std::to_string(stage.replicas) + " cores)" : "";
        std::printf("%s units %d-%d%s%s busy %.0f%%", s == 0 ? "" : ",", stage.first, stage.last,
                    stage.recompute ? " (recomputing)" : "", cores.c_str(), busy * 100.0);
    }
    if (report.predictedRunIterationSeconds > 0.0)
        std::printf("\niteration %.2f ms measured, %.2f ms predicted for this run (%+.0f%%; %.2f ms in the steady "
                    "state);",
                    report.measuredIterationSeconds * 1e3, report.predictedRunIterationSeconds * 1e3,
                    (report.measuredIterationSeconds / report.predictedRunIterationSeconds - 1.0) * 100.0,
                    report.prediction.iterationSeconds * 1e3);
    else
        std::printf("\niteration %.2f ms measured, %.2f ms predicted in the steady state;",
                    report.measuredIterationSeconds * 1e3, report.prediction.iterationSeconds * 1e3);
    std::printf(" bubble %.1f%% measured, %.1f%% predicted\n", report.measured.bubbleFraction * 100.0,
                report.prediction.bubbleFraction * 100.0);
    if (report.sequentialSeconds > 0.0) {
        char differ[96];
        std::snprintf(differ, sizeof differ, "differ by up to %.2g of the largest (not bit for bit)",
                      report.sequentialWeightsDifference.parameters);
        std::printf("speedup %.2fx over sequential on one core (%.1f s against %.1f s); weights %s\n",
                    report.sequentialSeconds / summary.trainingSeconds, report.sequentialSeconds,
                    summary.trainingSeconds, report.sequentialWeightsEqual ? "identical" : differ);
    }
}

// Writes the plan's costs calibrated on the run's last segment (its first
// mini-batch, which starts cold, left out when there are more) to `file`.
void saveCalibratedCosts(const std::string& file, const Plan& plan, const Timeline& timeline)
{
    if (timeline.events.empty())
        throw InvalidArgument("--save-costs: the run stopped before it measured a mini-batch; " + file
                              + " was not written");
    const ModelCosts costs = calibrateCosts(plan, timeline, firstWarmMiniBatch(timeline));
    writeFileAtomically(file, costsToJson(costs));
    for (const DeviceCosts& device : costs.devices)
        if (device.source.find("calibrated") != std::string::npos)
            std::printf("costs calibrated on this run written to %s: %s %s\n", file.c_str(), device.device.c_str(),
                        device.source.substr(device.source.find("calibrated")).c_str());
}

// Across MPI ranks (--devices mpi, `ranks` set): every rank runs this, with
// one stage each; rank 0 alone speaks and writes files.
void prepareForRanks(TrainCommandOptions& options, const TrainRanks& ranks)
{
    auto notYet = [](const std::string& what) {
        throw InvalidArgument(what + " with --devices mpi is not available yet");
    };
    if (options.train.backend != "cpu")
        notYet("--backend " + options.train.backend + " (GPU stages across ranks, over NCCL)");
    if (options.compareSequential)
        notYet("--compare-sequential");
    if (!options.exportOnnx.empty())
        notYet("--export-onnx");
    options.devices = "cpu:" + std::to_string(ranks.size()); // one core per rank
    options.train.liveEvaluation = false;                    // (not yet across ranks)
    if (ranks.rank() != 0) {
        options.quiet = true;
        options.train.evaluate = false;
        for (std::string* file :
             {&options.jsonFile, &options.saveCheckpoint, &options.traceFile, &options.saveCostsFile})
            file->clear();
    }
}

// One rank per device of the plan (interleaved: per `chunks` stages).
void requirePlanForRanks(const Plan& plan, const TrainRanks& ranks)
{
    const int devices = int(plan.stages.size()) / std::max(plan.chunks, 1);
    if (devices != ranks.size())
        throw InvalidArgument("the " + plan.partitioner + " plan for " + std::to_string(ranks.size()) + " ranks runs "
                              + std::to_string(plan.stages.size()) + (plan.stages.size() == 1 ? " stage" : " stages")
                              + " on " + std::to_string(devices)
                              + " of them (fewer devices communicate less): start the job with mpirun -np "
                              + std::to_string(devices) + ", or plan with --partitioner balanced to use every rank");
}

void runTrain(TrainCommandOptions options, TrainRanks* ranks = nullptr)
{
    if (options.checkpointEvery > 0 && options.saveCheckpoint.empty())
        throw InvalidArgument("--checkpoint-every " + std::to_string(options.checkpointEvery)
                              + " needs --save-checkpoint FILE: the file each checkpoint replaces");
    if (ranks != nullptr)
        prepareForRanks(options, *ranks);
    OptimizerOptions& optimizer = options.train.optimizer;
    if (options.learningRate <= 0.0)
        options.learningRate = defaultLearningRate(optimizer.kind);
    optimizer.learningRate = float(options.learningRate);
    // Everything that can be checked before the (slow) data loading is checked first.
    buildModel(options.train.model); // (an imported model that cannot train yet says why)
    if (!options.exportOnnx.empty() && !isOnnxModelName(options.train.model))
        throw InvalidArgument("--export-onnx writes an imported model's file with the trained weights; --model "
                              + options.train.model + " is not an ONNX file (a zoo model has none to write into)");
    for (const auto& [flag, file] :
         {std::pair{"--json", options.jsonFile}, std::pair{"--save-checkpoint", options.saveCheckpoint},
          std::pair{"--trace", options.traceFile}, std::pair{"--save-costs", options.saveCostsFile},
          std::pair{"--export-onnx", options.exportOnnx}})
        if (!file.empty())
            requireWritableOutput(file, flag);
    const std::string schedule = !options.schedule.empty() ? options.schedule
                                 : options.pipelined()     ? kPipelinedSchedule
                                                           : kSequentialSchedule;
    const bool gpuDevices = options.devices.rfind("cuda", 0) == 0;
    if (options.train.tf32 && options.train.backend == "cpu" && !gpuDevices)
        throw InvalidArgument("--tf32 applies to GPU runs only (--backend cuda or --devices cuda:KxN)");
    if (options.train.backend != "cpu" && !options.devices.empty() && !gpuDevices)
        throw InvalidArgument("--backend " + options.train.backend + " with --devices " + options.devices
                              + ": GPU stages are given as --devices cuda:KxN (K the GPU, N the stages) or cuda:0,1");
    if (options.train.weightStash && options.planFile.empty() && !scheduleTraits(schedule).allowsWeightStash())
        throw InvalidArgument("--weight-stash: weight stashing applies to lpm-async only, not " + schedule);
    std::optional<PipelineReport> pipeline;
    if (options.pipelined()) {
        // Without --devices: two stages where --backend computes (two cores, or two streams of one GPU).
        const std::string backend = options.train.backend == "cuda" ? "cuda:0" : options.train.backend;
        // (sequential with --recompute: one stage, so one device.)
        const int stages = scheduleTraits(schedule).singleStage ? 1 : 2;
        const std::string devices = !options.devices.empty() ? options.devices
                                    : backend == "cpu"       ? "cpu:" + std::to_string(stages)
                                                             : backend + "x" + std::to_string(stages);
        PlanRequest request{options.planFile,
                            options.train.model,
                            devices,
                            options.partitioner,
                            schedule,
                            optimizer.kind,
                            options.train.batch,
                            options.train.microBatches,
                            options.recompute,
                            options.chunks,
                            options.costsFile,
                            options.quiet};
        request.replicas = options.replicas.empty() ? 1 : parseReplicasOption(options.replicas);
        if (ranks != nullptr) { // (the plan cuts by the links between the ranks)
            request.links = measureRankLinks(*ranks, options.quiet);
            request.stagesOnRanks = true;
        }
        pipeline.emplace();
        pipeline->plan = ranks ? planOfRankZero(*ranks, [&] { return trainingPlan(request); }) : trainingPlan(request);
        const Plan& plan = pipeline->plan;
        if (ranks != nullptr)
            requirePlanForRanks(plan, *ranks);
        const DeviceSet stageDevices = parseDeviceSet(plan.deviceSpec);
        const std::string stagesBackend = trainingBackendFor(stageDevices);
        if (options.train.backend != "cpu" && backend != stagesBackend)
            throw InvalidArgument("--backend " + options.train.backend + " does not match the stages' devices "
                                  + plan.deviceSpec + " (whose first stage computes on " + stagesBackend + ")");
        options.train.backend = stagesBackend;
        options.train.stageBackends = stageBackendsOf(plan);
        options.train.chunks = plan.chunks;
        options.train.model = plan.model;
        options.train.batch = plan.batch;
        options.train.microBatches = plan.microBatches;
        options.train.schedule = plan.schedule;
        options.train.stages = plan.stages;
        pipeline->prediction = predictPlan(plan);
        requirePlanFits(plan, pipeline->prediction); // before loading data or training
        pipeline->advice = advisePlanOfZooModel(plan, pipeline->prediction);
    } else if (options.traceFile.size() || options.compareSequential || options.costsFile.size()
               || options.saveCostsFile.size()) {
        throw InvalidArgument("--trace, --compare-sequential, --costs and --save-costs need a pipelined run "
                              "(--devices, --schedule or --plan)");
    }

    if (options.dataset.empty())
        options.dataset = defaultDatasetFor(options.train.model);
    auto load = [&] { return loadTrainingData(options.dataset, options.train.model, options.train.seed); };
    DatasetSplits data = ranks ? dataOfRankZero(*ranks, load, options.quiet) : load();
    Trainer trainer(options.train, data);
    if (!options.loadCheckpoint.empty())
        trainer.loadCheckpoint(options.loadCheckpoint);
    if (ranks != nullptr) {
        requireRanksAgree(*ranks, {{"the build", buildIdentity()},
                                   {"the plan", planToJson(pipeline->plan)},
                                   {"--dataset", options.dataset}, // (rank 0's alone is read)
                                   {"--lr", std::to_string(optimizer.learningRate)},
                                   {"the optimizer", optimizer.kind + " momentum " + std::to_string(optimizer.momentum)
                                                         + " weight decay " + std::to_string(optimizer.weightDecay)},
                                   {"--epochs/--steps",
                                    std::to_string(options.train.epochs) + "/" + std::to_string(options.train.steps)},
                                   {"--checkpoint-every", std::to_string(options.checkpointEvery)},
                                   {"the weights to start from", trainer.weightsDigest()}});
        trainer.setRanks(&ranks->channel);
    }
    if (options.checkpointEvery > 0) // (across ranks, rank 0 alone writes; every rank ends its segments there)
        trainer.setCheckpointEvery(options.checkpointEvery, [&](int64_t) {
            if (!options.saveCheckpoint.empty())
                trainer.saveCheckpoint(options.saveCheckpoint);
        });
    if (!options.quiet && options.train.backend == "cpu")
        std::fprintf(stderr, "%s\n", blasKernelReport().describe().c_str());
    if (!options.quiet)
        std::fprintf(stderr, "training %s on %s (%lld train / %lld test samples), batch %lld, %s, %s, from step %lld\n",
                     options.train.model.c_str(), data.train.name.c_str(), static_cast<long long>(data.train.count),
                     static_cast<long long>(data.test.count), static_cast<long long>(options.train.batch),
                     optimizer.kind.c_str(),
                     pipeline ? (pipeline->plan.schedule + " on " + std::to_string(pipeline->plan.stages.size())
                                 + (ranks != nullptr                 ? " CPU stages, one per MPI rank"
                                    : options.train.backend == "cpu" ? " CPU stages"
                                                                     : " stages of " + options.train.backend))
                                    .c_str()
                     : options.train.backend != "cpu" ? options.train.backend.c_str()
                                                      : (std::to_string(options.train.threads) + " thread(s)").c_str(),
                     static_cast<long long>(trainer.globalStep()));
    if (pipeline && !options.quiet)
        printPlanAdvice(stderr, pipeline->plan, pipeline->advice);

    ProgressBar bar(stderr);
    auto report = [&](const TrainProgress& progress) {
        if (!options.quiet)
            bar.update({progress.step, progress.totalSteps, progress.wallSeconds, progressDetail(progress)},
                       progress.evaluated);
    };
    TrainSummary summary;
    try {
        StopOnSignal stopOnSignal;
        summary = trainer.run(report, &stopRequested);
        if (pipeline && options.compareSequential && !summary.stopped) {
            if (!options.quiet)
                std::fprintf(stderr, "\nthe same run under sequential on %s, for comparison\n",
                             options.train.backend == "cpu" ? "one core" : options.train.backend.c_str());
            Trainer sequential(sequentialReferenceOptions(options.train, summary.steps), data);
            if (!options.loadCheckpoint.empty())
                sequential.loadCheckpoint(options.loadCheckpoint);
            const TrainSummary reference = sequential.run(report, &stopRequested);
            pipeline->sequentialSeconds = reference.trainingSeconds;
            pipeline->sequentialWeightsEqual = reference.weightsDigest == summary.weightsDigest;
            pipeline->sequentialOptimizerStateEqual = reference.optimizerStateDigest == summary.optimizerStateDigest;
            pipeline->sequentialWeightsDifference = trainer.weightsDifferenceFrom(sequential);
        }
    } catch (...) {
        bar.finish(); // the error goes on a line of its own
        throw;
    }
    bar.finish();
    if (ranks != nullptr && ranks->rank() != 0)
        return; // (rank 0 reports and writes every file)

    if (pipeline) {
        pipeline->measured = summarizeTimeline(trainer.lastTimeline());
        if (summary.steps > 0) {
            pipeline->measuredIterationSeconds = summary.trainingSeconds / double(summary.steps);
            if (!summary.stopped) {
                double predicted = 0.0;
                for (int64_t steps : summary.segmentSteps)
                    predicted += predictRunSeconds(pipeline->plan, int(steps));
                pipeline->predictedRunIterationSeconds = predicted / double(summary.steps);
            }
        }
        if (!options.traceFile.empty())
            writeFileAtomically(options.traceFile, chromeTraceJson(trainer.lastTimeline(), stageNames(pipeline->plan)));
    }
    if (!options.saveCheckpoint.empty())
        trainer.saveCheckpoint(options.saveCheckpoint);
    if (!options.exportOnnx.empty()) {
        writeOnnxWithWeights(options.train.model, importedTensors(trainer.weights()), options.exportOnnx);
        std::printf("trained weights written into a copy of %s: %s\n", options.train.model.c_str(),
                    options.exportOnnx.c_str());
    }
    if (!options.jsonFile.empty()) {
        nlohmann::json document = summaryJson(options, summary);
        if (pipeline)
            document.update(pipelineJson(*pipeline, summary));
        if (ranks != nullptr)
            document.update(ranksJson(*ranks, pipeline->plan));
        writeJsonFile(options.jsonFile, document);
    }
    std::printf("%s%lld steps (global step %lld), %.1f samples/s over %.1f s of training\n",
                summary.stopped ? "stopped after " : "", static_cast<long long>(summary.steps),
                static_cast<long long>(summary.globalStep), summary.samplesPerSecond, summary.trainingSeconds);
    if (pipeline)
        printPipelineReport(*pipeline, summary);
    std::printf("train loss %.4f, train accuracy %.4f", summary.trainLoss, summary.trainAccuracy);
    if (summary.evaluated && modelTokens(options.train.model) > 0)
        std::printf(", validation loss %.4f (%.3f bits per byte, perplexity %.2f), next-byte accuracy %.4f",
                    summary.testLoss, bitsPerByte(summary.testLoss), std::exp(summary.testLoss), summary.testAccuracy);
    else if (summary.evaluated)
        std::printf(", test loss %.4f, test accuracy %.4f", summary.testLoss, summary.testAccuracy);
    if (summary.liveEvaluations > 0)
        std::printf("\nlive evaluation: %lld times %lld test samples, %.2f s",
                    static_cast<long long>(summary.liveEvaluations),
                    static_cast<long long>(summary.liveEvaluationSamples), summary.liveEvaluationSeconds);
    std::printf("\nweights digest %s\n", summary.weightsDigest.c_str());
    if (pipeline && !options.saveCostsFile.empty())
        saveCalibratedCosts(options.saveCostsFile, pipeline->plan, trainer.lastTimeline());
}

} // namespace

void addTrainCommand(CLI::App& app)
{
    auto options = std::make_shared<TrainCommandOptions>();
    TrainOptions& train = options->train;
    CLI::App* command = app.add_subcommand(
        "train", "Train a zoo model: sequentially, or pipelined with --schedule S over --devices cpu:N (one core "
                 "per stage), cuda:KxN (N stages on GPU K, a CUDA stream each) or cuda:0,1 (a stage per GPU)");
    command->add_option("--model", train.model, "Zoo model (see `lpm models`)")->capture_default_str();
    command->add_option("--dataset", options->dataset,
                        "For image models: fashion-mnist (the default), synthetic, or a folder with the four "
                        "MNIST-format IDX files (optionally .gz). For language models: text (the default: the "
                        "Jargon File, Debian package jargon-text) or text:PATH, any file read as bytes");
    auto* epochs = command->add_option("--epochs", train.epochs, "Epochs to train")
                       ->check(CLI::PositiveNumber)
                       ->capture_default_str();
    command
        ->add_option("--steps", train.steps,
                     "Train exactly this many steps (mini-batches) instead of epochs; after "
                     "--load-checkpoint, this many further steps")
        ->check(CLI::PositiveNumber)
        ->excludes(epochs);
    command->add_option("--batch", train.batch, "Mini-batch size (samples per step)")
        ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
        ->capture_default_str();
    command
        ->add_option("--micro-batches", train.microBatches,
                     "Split every mini-batch into this many micro-batches whose gradients "
                     "are accumulated")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    command->add_option("--optimizer", train.optimizer.kind, "sgd, adam, or adamw (Adam with decoupled weight decay)")
        ->check(CLI::IsMember({"sgd", "adam", "adamw"}))
        ->capture_default_str();
    command->add_option("--lr", options->learningRate, "Learning rate (default: 0.05 for sgd, 0.001 for adam(w))")
        ->check(CLI::PositiveNumber);
    command
        ->add_option("--lr-schedule", train.optimizer.schedule,
                     "constant, or cosine: linear warm-up over --warmup-steps, then cosine decay to a tenth of --lr "
                     "at --decay-steps")
        ->check(CLI::IsMember({"constant", "cosine"}))
        ->capture_default_str();
    command->add_option("--warmup-steps", train.optimizer.warmupSteps, "Warm-up steps of the cosine schedule")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    command
        ->add_option("--decay-steps", train.optimizer.decaySteps,
                     "Where the cosine schedule's decay ends (default: this run's steps; give it when resuming)")
        ->check(CLI::PositiveNumber);
    command->add_option("--momentum", train.optimizer.momentum, "SGD momentum (0 to disable)")
        ->check(CLI::Range(0.0, 0.999999))
        ->capture_default_str();
    command->add_flag("--nesterov", train.optimizer.nesterov, "Use Nesterov momentum (SGD)");
    command
        ->add_option("--clip-grad-norm", train.optimizer.clipGradNorm,
                     "Clip the gradients to this global norm before each update (0: no clipping); exact under "
                     "every exact schedule: the stages agree on the norm first")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    command->add_option("--weight-decay", train.optimizer.weightDecay, "Weight decay (L2; decoupled for adamw)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    command->add_option("--seed", train.seed, "Seed for initialisation, data order and dropout; same seed, same run")
        ->capture_default_str();
    command->add_option("--threads", train.threads, "CPU threads for the computation")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    command
        ->add_option("--backend", train.backend,
                     "Where the run computes: cpu, or cuda / cuda:N (a GPU; see `lpm devices`); pipelined "
                     "stages then share that GPU, one stream each (--devices cuda:NxS says how many)")
        ->capture_default_str();
    command->add_flag("--tf32", train.tf32, "With --backend cuda: allow TF32 tensor cores (faster, not exact)");
    command->add_option("--save-checkpoint", options->saveCheckpoint,
                        "Write a checkpoint to this file at the end (atomically)");
    command
        ->add_option("--checkpoint-every", options->checkpointEvery,
                     "With --save-checkpoint: also replace that file every N steps during the run (atomically: "
                     "it always holds the last complete checkpoint); a pipelined run drains its pipeline there, "
                     "as at an epoch's end")
        ->check(CLI::Range(int64_t(1), int64_t(1) << 40));
    command->add_option("--export-onnx", options->exportOnnx,
                        "With --model PATH.onnx: write a copy of that file with the trained weights (and batch "
                        "norm's running statistics) to this file at the end (atomically)");
    command
        ->add_option("--load-checkpoint", options->loadCheckpoint,
                     "Resume from this checkpoint; --model, --batch, --micro-batches, --seed "
                     "and the optimizer settings must be those it was saved with")
        ->check(CLI::ExistingFile);
    command->add_option("--json", options->jsonFile,
                        "Write a summary (test_accuracy, samples_per_second, steps, "
                        "weights_digest, ...) to this JSON file");
    command->add_flag(
        "--no-eval", [options](int64_t) { options->train.evaluate = false; }, "Skip evaluation on the test set");
    command->add_flag(
        "--no-live-eval", [options](int64_t) { options->train.liveEvaluation = false; },
        "Do not evaluate a subset of the test set while training (by default every 5 % of "
        "the steps and every few seconds, on a copy of the weights: the weights are the "
        "same either way)");
    command
        ->add_option("--live-eval-samples", train.liveEvaluationSamples,
                     "Test samples evaluated while training, at most (a fixed subset drawn by "
                     "--seed; 0.25 % of the samples the run trains, and at least 64)")
        ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))
        ->capture_default_str();
    command->add_flag("--quiet", options->quiet, "No progress output");
    auto* plan = command
                     ->add_option("--plan", options->planFile,
                                  "Run this plan (from `lpm plan --out`): its model, stages, schedule, batch "
                                  "and micro-batches")
                     ->check(CLI::ExistingFile);
    command
        ->add_option("--devices", options->devices,
                     "Pipeline stages: cpu:N (one core each), cuda:KxN (N streams of GPU K), cuda:0,1 (one "
                     "stage on each GPU listed), or mpi: one stage per rank of an MPI job (mpirun -np P lpm "
                     "train ... --devices mpi; docs/CLUSTER.md); default cpu:2 when --schedule is pipelined")
        ->excludes(plan);
    command
        ->add_option("--schedule", options->schedule,
                     "Default: sequential, or lpm with --devices (the set above lists every schedule)")
        ->check(CLI::IsMember(scheduleNames()))
        ->excludes(plan);
    command
        ->add_option("--partitioner", options->partitioner,
                     "How --devices cuts the model: lpm, optimal, balanced, uniform")
        ->check(CLI::IsMember(partitionerNames()))
        ->capture_default_str()
        ->excludes(plan);
    command->add_option("--trace", options->traceFile,
                        "Pipelined: write the measured timeline of the last epoch as Chrome trace JSON");
    command->add_flag("--weight-stash", options->train.weightStash,
                      "lpm-async: each backward uses the weights its forward used (one copy of a stage's "
                      "weights per version in flight)");
    command
        ->add_option("--costs", options->costsFile,
                     "Pipelined: plan with these unit costs (from `lpm profile` or --save-costs) instead of "
                     "profiling now")
        ->check(CLI::ExistingFile)
        ->excludes(plan);
    command->add_option("--save-costs", options->saveCostsFile,
                        "Pipelined: write the plan's unit costs calibrated on this run's measured stage times (its "
                        "last epoch), for --costs of `lpm plan` and `lpm train`");
    command
        ->add_option("--chunks", options->chunks,
                     "--schedule interleaved: model chunks per device (default 2); the micro-batches must be a "
                     "multiple of the devices")
        ->check(CLI::Range(2, 64))
        ->excludes(plan);
    command
        ->add_flag("--recompute", options->recompute,
                   "Activation recomputation on every stage: keep only each stage's input per micro-batch in flight "
                   "and run its forward again before the backward (less memory, one more forward; exact)")
        ->excludes(plan);
    command->add_option("--replicas", options->replicas, kReplicasHelp)->excludes(plan);
    command->add_flag("--compare-sequential", options->compareSequential,
                      "Pipelined: then run the same steps under sequential on one core and report the speedup");
    for (const char* flag : {"--model", "--batch", "--micro-batches"})
        command->get_option(flag)->excludes(plan);
    command->callback([options] {
        if (options->devices == "mpi")
            runOnRanks([&](TrainRanks& ranks) { runTrain(*options, &ranks); });
        else
            runTrain(*options);
    });
}

} // namespace lpm::cli
