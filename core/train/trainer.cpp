#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>
#include <type_traits>

#include "devices/backend_factory.h"
#include "nn/model_zoo.h"
#include "schedule/schedule.h"
#include "tensor/error.h"
#include "train/checkpoint.h"

namespace lpm {

namespace {
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// The optimizer's options, a cosine schedule's decay horizon filled in when
// not given: the run's steps (from step 0; a resumed run names it).
OptimizerOptions withDecayHorizon(const TrainOptions& options, const Batcher& batcher)
{
    OptimizerOptions optimizer = options.optimizer;
    if (optimizer.schedule == "cosine" && optimizer.decaySteps == 0)
        optimizer.decaySteps = options.steps > 0 ? options.steps : options.epochs * batcher.batchesPerEpoch();
    return optimizer;
}
} // namespace

Trainer::Trainer(const TrainOptions& options, const DatasetSplits& data)
    : options_(options), data_(data),
      backend_(makeBackend(BackendRequest{options.backend, options.threads, options.tf32})),
      model_(buildModel(options.model)), store_(model_),
      optimizer_(makeOptimizer(withDecayHorizon(options, Batcher(data.train, options.batch, options.seed)), store_)),
      batcher_(data.train, options.batch, options.seed)
{
    if (options.threads < 1)
        throw InvalidArgument("threads must be at least 1, got " + std::to_string(options.threads));
    if (options.epochs < 0 || options.steps < 0)
        throw InvalidArgument("epochs and steps must not be negative");
    if (data.train.sampleShape() != model_.sampleShape())
        throw InvalidArgument("model " + model_.name() + " expects samples " + model_.sampleShape().toString()
                              + ", data set " + data.train.name + " has " + data.train.sampleShape().toString());
    microBatchSizes(options.batch, options.microBatches); // validates m
    store_.initialize(options.seed);
    if (options.weightStash && !scheduleTraits(options.schedule).allowsWeightStash())
        throw InvalidArgument("weight stashing applies to lpm-async only, not " + options.schedule);
    if (!backend_->usesHostMemory()) { // a GPU: the weights and optimizer state live there
        store_.placeOn(*backend_);
        optimizer_->placeOn(*backend_);
    }
    if (options.evaluate && options.liveEvaluation)
        live_ = std::make_unique<LiveEvaluation>(options.model, data.test, options.liveEvaluationSamples, options.seed,
                                                 options.evaluationBatch, options.liveSampleBytes);
    // The executor runs every pipelined schedule, and sequential where it recomputes.
    const std::vector<bool> recomputing = recomputingStages(options.stages);
    const bool recomputes = std::find(recomputing.begin(), recomputing.end(), true) != recomputing.end();
    const bool replicates = std::any_of(options.stages.begin(), options.stages.end(),
                                        [](const PlannedStage& stage) { return stage.replicas > 1; });
    if (!scheduleTraits(options.schedule).singleStage || options.stages.size() > 1 || recomputes || replicates) {
        Partition stages = options.stages;
        if (stages.empty())
            stages = {{0, model_.unitCount() - 1, 0}};
        // Every stage computes on its own backend: the one options.stageBackends
        // names, or one of the trainer's kind (a CPU core each, or its own
        // stream on the trainer's GPU).
        if (!options.stageBackends.empty() && options.stageBackends.size() != stages.size())
            throw InvalidArgument("stage backends: " + std::to_string(options.stageBackends.size()) + " named for "
                                  + std::to_string(stages.size()) + " stages");
        PipelineExecutor::StageBackendFactory stageBackend; // empty: the executor's one-core CPU backends
        if (!options.stageBackends.empty() || !backend_->usesHostMemory())
            stageBackend = [names = options.stageBackends, backend = options.backend, tf32 = options.tf32,
                            stages](int s) {
                // (a replicated stage's CPU threads; the executor refuses replicas on a GPU)
                return makeBackend(
                    BackendRequest{names.empty() ? backend : names[size_t(s)], stages[size_t(s)].replicas, tf32});
            };
        executor_ = std::make_unique<PipelineExecutor>(model_, store_, *optimizer_, std::move(stages), options.schedule,
                                                       options.microBatches, options.seed, options.weightStash,
                                                       std::move(stageBackend));
        executor_->setChunks(options.chunks);
    }
}

void Trainer::setRanks(RankChannel* ranks)
{
    if (!executor_)
        throw InvalidArgument("training across ranks needs a pipelined schedule, not " + options_.schedule);
    executor_->setRanks(ranks);
    acrossRanks_ = ranks != nullptr;
}

EvaluationResult Trainer::evaluate()
{
    return evaluateModel(*backend_, model_, data_.test, options_.evaluationBatch);
}

void Trainer::setCheckpointEvery(int64_t everySteps, std::function<void(int64_t globalStep)> save)
{
    if (everySteps < 0)
        throw InvalidArgument("checkpoint every " + std::to_string(everySteps) + " steps: expected 0 (none) or more");
    checkpointEvery_ = everySteps;
    saveCheckpointAt_ = std::move(save);
}

TrainSummary Trainer::run(const std::function<void(const TrainProgress&)>& progress, const std::atomic<bool>* stop,
                          int64_t reportEverySteps)
{
    const int64_t perEpoch = batcher_.batchesPerEpoch();
    const int64_t totalSteps = options_.steps > 0 ? options_.steps : options_.epochs * perEpoch;
    TrainSummary summary;
    TrainProgress report;
    report.totalSteps = totalSteps;
    report.batchesPerEpoch = perEpoch;
    double reportLoss = 0.0, epochLoss = 0.0;
    int64_t reportSamples = 0, epochSamples = 0, epochCorrect = 0, epochPredictions = 0, samplesTrained = 0;
    const Clock::time_point runStart = Clock::now();

    Clock::time_point segmentStart = runStart;
    bool inSegment = false; // a pipelined segment is running: its time is not yet in trainingSeconds
    auto reportProgress = [&](bool evaluated, bool subsetEvaluated) {
        report.evaluated = evaluated;
        report.subsetEvaluated = subsetEvaluated;
        report.step = summary.steps;
        report.globalStep = globalStep_;
        report.epoch = (globalStep_ - 1) / perEpoch;
        report.meanLoss = reportSamples > 0 ? reportLoss / double(reportSamples) : 0.0;
        report.trainingSeconds = summary.trainingSeconds + (inSegment ? secondsSince(segmentStart) : 0.0);
        report.wallSeconds = secondsSince(runStart);
        report.samplesPerSecond = report.trainingSeconds > 0.0 ? double(samplesTrained) / report.trainingSeconds : 0.0;
        progress(report);
        reportLoss = 0.0;
        reportSamples = 0;
    };
    // The bookkeeping of one finished step, whichever schedule ran it;
    // `liveNext`: a live evaluation of this step follows (and reports).
    auto stepDone = [&](const StepResult& result, bool liveNext) {
        ++globalStep_;
        ++summary.steps;
        samplesTrained += result.samples;
        reportLoss += result.lossSum;
        reportSamples += result.samples;
        if ((globalStep_ - 1) % perEpoch == 0) { // the step just done began an epoch
            epochLoss = 0.0;
            epochSamples = epochCorrect = epochPredictions = 0;
        }
        epochLoss += result.lossSum;
        epochSamples += result.samples;
        epochCorrect += result.correct;
        epochPredictions += result.predictions;
        const bool due = globalStep_ % perEpoch == 0 || summary.steps == totalSteps || liveNext;
        if (progress && !due && summary.steps % reportEverySteps == 0)
            reportProgress(false, false);
    };
    // A live evaluation of the step just done: reported at once, or with the
    // test set's evaluation that comes at an epoch's or the run's end.
    bool subsetUnreported = false;
    auto liveEvaluated = [&](const EvaluationResult& evaluation, Clock::time_point start) {
        summary.liveEvaluationSeconds += secondsSince(start);
        ++summary.liveEvaluations;
        summary.liveEvaluationSamples = evaluation.samples;
        report.subsetSize = evaluation.samples;
        report.subsetLoss = evaluation.meanLoss;
        report.subsetAccuracy = evaluation.accuracy;
        report.samplePrompt = evaluation.samplePrompt;
        report.sampleText = evaluation.sampleText;
        subsetUnreported = true;
        const bool evaluationFollows = globalStep_ % perEpoch == 0 || summary.steps == totalSteps;
        if (progress && !evaluationFollows) {
            reportProgress(false, true);
            subsetUnreported = false;
        }
    };
    if (live_)
        live_->startRun(totalSteps, options_.batch);
    // Pipelined: the executor's stages snapshot the steps live_ picks, and
    // the snapshots are evaluated here, on the calling thread.
    SnapshotRequest snapshots;
    const int64_t firstStep = globalStep_; // global step g is the run's (g − firstStep + 1)-th
    if (live_) {
        snapshots.due = [&](int64_t step) { return live_->due(step - firstStep + 1); };
        snapshots.received = [&](const WeightsSnapshot& snapshot) {
            const Clock::time_point start = Clock::now();
            liveEvaluated(live_->evaluate(*backend_, snapshot), start);
        };
    }

    while (summary.steps < totalSteps) {
        // (across ranks the executor stops every rank where rank 0 says: a
        // rank that ended here alone would leave the others waiting)
        if (stop != nullptr && stop->load() && !acrossRanks_) {
            summary.stopped = true;
            break;
        }
        if (executor_) {
            // One segment up to the epoch's end (where evaluation comes), the
            // next periodic checkpoint, or the run's end.
            int64_t count = std::min(totalSteps - summary.steps, perEpoch - globalStep_ % perEpoch);
            if (checkpointEvery_ > 0)
                count = std::min(count, checkpointEvery_ - globalStep_ % checkpointEvery_);
            segmentStart = Clock::now();
            inSegment = true;
            PipelineRun segment =
                executor_->run([&](int64_t step) { return batcher_.batchAt(step); }, globalStep_, int(count), stop,
                               [&](int64_t step, const StepResult& result) {
                                   stepDone(result, live_ && live_->takeChosen(step - firstStep + 1));
                               },
                               live_ ? &snapshots : nullptr);
            inSegment = false;
            summary.trainingSeconds += segment.seconds;
            summary.segmentSteps.push_back(count);
            lastTimeline_ = std::move(segment.timeline);
            if (segment.stopped) {
                summary.stopped = true;
                break;
            }
        } else {
            const Batch batch = batcher_.batchAt(globalStep_); // data loading: not timed
            const Clock::time_point start = Clock::now();
            const StepResult result = runTrainingStep(*backend_, model_, store_, *optimizer_, batch,
                                                      options_.microBatches, options_.seed, globalStep_);
            summary.trainingSeconds += secondsSince(start);
            if (!std::isfinite(result.lossSum))
                throw Error("training diverged: the loss is not finite at step " + std::to_string(globalStep_ + 1)
                            + " (try a smaller --lr)");
            const bool live = live_ && live_->due(summary.steps + 1);
            stepDone(result, live);
            if (live) { // evaluation mode between steps: the weights stay as they are
                const Clock::time_point start = Clock::now();
                liveEvaluated(live_->evaluate(*backend_, model_), start);
            }
        }
        if (checkpointEvery_ > 0 && globalStep_ % checkpointEvery_ == 0 && saveCheckpointAt_)
            saveCheckpointAt_(globalStep_);
        const bool epochEnd = globalStep_ % perEpoch == 0;
        const bool last = summary.steps == totalSteps;
        if (!epochEnd && !last)
            continue;
        bool evaluated = false;
        if (options_.evaluate) {
            const EvaluationResult evaluation = evaluate();
            evaluated = summary.evaluated = true;
            report.testLoss = summary.testLoss = evaluation.meanLoss;
            report.testAccuracy = summary.testAccuracy = evaluation.accuracy;
        }
        if (progress)
            reportProgress(evaluated, subsetUnreported);
        subsetUnreported = false;
    }
    summary.globalStep = globalStep_;
    summary.epochs = double(globalStep_) / double(perEpoch);
    if (epochSamples > 0) {
        summary.trainLoss = epochLoss / double(epochSamples);
        summary.trainAccuracy = double(epochCorrect) / double(epochPredictions);
    }
    if (summary.trainingSeconds > 0.0)
        summary.samplesPerSecond = double(samplesTrained) / summary.trainingSeconds;
    summary.weightsDigest = weightsDigest();
    summary.optimizerStateDigest = optimizerStateDigest();
    summary.stages = executor_ ? int(executor_->stages().size()) : 1;
    return summary;
}

void Trainer::saveCheckpoint(const std::filesystem::path& file) const
{
    Checkpoint checkpoint;
    checkpoint.model = model_.name();
    checkpoint.seed = options_.seed;
    checkpoint.batch = options_.batch;
    checkpoint.microBatches = options_.microBatches;
    checkpoint.optimizer = withDecayHorizon(options_, batcher_);
    checkpoint.globalStep = globalStep_;
    checkpoint.optimizerSteps = optimizer_->stepCount();
    store_.copyToHost();
    optimizer_->copyStateToHost();
    checkpoint.parameters.assign(store_.hostValues(), store_.hostValues() + store_.parameterCount());
    checkpoint.buffers.assign(store_.hostBuffers(), store_.hostBuffers() + store_.bufferCount());
    checkpoint.optimizerState = optimizer_->state();
    writeCheckpoint(file, checkpoint);
}

void Trainer::loadCheckpoint(const std::filesystem::path& file)
{
    Checkpoint saved = readCheckpoint(file);
    const std::string name = file.string();
    auto text = [](const auto& value) {
        using Value = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<Value, bool>)
            return std::string(value ? "on" : "off");
        else if constexpr (std::is_same_v<Value, std::string>)
            return value;
        else if constexpr (std::is_floating_point_v<Value>) { // shortest: 0.003, not 0.003000
            std::ostringstream text;
            text << value;
            return text.str();
        } else
            return std::to_string(value);
    };
    // Throws unless the checkpoint's value of `option` is this run's.
    auto requireSame = [&](const char* option, const auto& then, const auto& now) {
        if (then != now)
            throw FileError(name + ": checkpoint was written with " + option + " " + text(then) + ", this run uses "
                            + text(now));
    };
    const OptimizerOptions now = withDecayHorizon(options_, batcher_);
    requireSame("--model", saved.model, model_.name());
    requireSame("--seed", saved.seed, options_.seed);
    requireSame("--batch", saved.batch, options_.batch);
    requireSame("--micro-batches", saved.microBatches, options_.microBatches);
    requireSame("--optimizer", saved.optimizer.kind, now.kind);
    requireSame("--lr", saved.optimizer.learningRate, now.learningRate);
    requireSame("--momentum", saved.optimizer.momentum, now.momentum);
    requireSame("--nesterov", saved.optimizer.nesterov, now.nesterov);
    requireSame("--weight-decay", saved.optimizer.weightDecay, now.weightDecay);
    requireSame("--lr-schedule", saved.optimizer.schedule, now.schedule);
    requireSame("--warmup-steps", saved.optimizer.warmupSteps, now.warmupSteps);
    requireSame("--decay-steps", saved.optimizer.decaySteps, now.decaySteps);
    requireSame("--clip-grad-norm", saved.optimizer.clipGradNorm, now.clipGradNorm);
    auto requireCount = [&](const char* what, size_t stored, int64_t expected) {
        if (int64_t(stored) != expected)
            throw FileError(name + ": " + what + " holds " + std::to_string(stored) + " values, expected "
                            + std::to_string(expected));
    };
    requireCount("parameters", saved.parameters.size(), store_.parameterCount());
    requireCount("buffers", saved.buffers.size(), store_.bufferCount());
    if (saved.optimizerState.size() != optimizer_->state().size())
        throw FileError(name + ": optimizer state has " + std::to_string(saved.optimizerState.size())
                        + " vectors, expected " + std::to_string(optimizer_->state().size()));
    // Everything read and checked: only now change the trainer.
    std::copy(saved.parameters.begin(), saved.parameters.end(), store_.hostValues());
    std::copy(saved.buffers.begin(), saved.buffers.end(), store_.hostBuffers());
    store_.copyFromHost();
    optimizer_->state() = std::move(saved.optimizerState);
    optimizer_->copyStateFromHost();
    optimizer_->setStepCount(saved.optimizerSteps);
    store_.zeroGradients();
    globalStep_ = saved.globalStep;
}

} // namespace lpm
