// The trainer: runs a model for a number of epochs or steps, evaluates on the
// test set, reports progress, and saves and resumes checkpoints exactly.
// Under `sequential` (the default) it trains the whole model on one backend:
// the CPU's with options.threads threads, or a GPU's (options.backend cuda:N,
// where the weights and optimizer state then live); under a pipelined schedule it hands
// each epoch's mini-batches to the pipeline executor (pipeline/executor.h),
// one CPU core or one GPU stream per stage (options.stageBackends may put
// stages on several GPUs). Either way the weights live in one ParameterStore,
// so checkpoints do not depend on the schedule.
//
// Resuming is exact because everything random is a function of (seed, step):
// the data order (Batcher), dropout masks (unit random keys) and initialisation.
// A checkpoint therefore holds the step count, the seed, the weights, the
// buffers and the optimizer state, and nothing else is needed.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "backend/backend.h"
#include "data/batcher.h"
#include "data/dataset.h"
#include "nn/model.h"
#include "nn/parameter_store.h"
#include "optim/optimizer.h"
#include "pipeline/executor.h"
#include "train/live_evaluation.h"
#include "train/train_options.h"
#include "train/training_step.h"

namespace lpm {

class Trainer {
public:
    // Builds the model and initialises it from options.seed. `data` must outlive the
    // trainer; callers pass it through standardizeImages first (as `lpm train` does).
    Trainer(const TrainOptions& options, const DatasetSplits& data);
    // The trainer reads `data` for as long as it lives: a temporary would dangle.
    Trainer(const TrainOptions& options, const DatasetSplits&& data) = delete;

    // Runs options.steps steps, or options.epochs epochs from the current step.
    // `progress` (may be empty) is called about every `reportEverySteps` steps and after
    // every evaluation (of the test set, and the live ones of its subset:
    // options.liveEvaluation). When `stop` becomes true the run ends after the current step.
    // Throws lpm::Error naming the step when the loss stops being finite (the
    // weights are then those of that step, and not worth saving).
    TrainSummary run(const std::function<void(const TrainProgress&)>& progress = {},
                     const std::atomic<bool>* stop = nullptr, int64_t reportEverySteps = 20);

    // Evaluation-mode pass over the test set.
    EvaluationResult evaluate();

    void saveCheckpoint(const std::filesystem::path& file) const;
    // Restores a checkpoint written with the same model, batch, micro-batches,
    // optimizer and seed; throws FileError naming the file and the mismatch.
    void loadCheckpoint(const std::filesystem::path& file);

    // Past one process: this trainer is one rank of a pipelined job, which
    // plays its own stage (PipelineExecutor::setRanks: every rank makes the
    // same trainer; after each epoch's segment every rank's weights are
    // whole). A stop request then counts on rank 0 only, which stops every
    // rank at the same step. Throws InvalidArgument when this trainer runs
    // no pipeline.
    void setRanks(RankChannel* ranks);

    // Periodic checkpoints: whenever the global step reaches a multiple of
    // `everySteps`, the run calls `save` with it, the weights and optimizer
    // state then whole (across ranks too). A pipelined run ends a segment
    // there, draining the pipeline as an epoch's end does: exact schedules
    // are not changed by it, lpm-async's staleness restarts. Every rank of
    // a job sets the same `everySteps` (its segments must be the others');
    // only the one that writes needs a `save`. 0: none.
    void setCheckpointEvery(int64_t everySteps, std::function<void(int64_t globalStep)> save);

    int64_t globalStep() const { return globalStep_; }
    // The measured timeline of the last pipelined segment (an epoch, or the
    // run's last part of one); empty under sequential.
    const Timeline& lastTimeline() const { return lastTimeline_; }
    int64_t batchesPerEpoch() const { return batcher_.batchesPerEpoch(); }
    std::string weightsDigest() const { return lpm::weightsDigest(store_); }
    std::string optimizerStateDigest() const { return lpm::optimizerStateDigest(*optimizer_); }
    // largestRelativeDifference of this trainer's weights and buffers from `other`'s.
    StoreDifference weightsDifferenceFrom(const Trainer& other) const
    {
        return largestRelativeDifference(store_, other.store_);
    }
    Model& model() { return model_; }
    // The weights and buffers (on a GPU's memory after a GPU run: copyToHost() first).
    const ParameterStore& weights() const { return store_; }

private:
    TrainOptions options_;
    const DatasetSplits& data_;
    std::unique_ptr<Backend> backend_; // sequential steps and evaluation
    Model model_;
    ParameterStore store_;
    std::unique_ptr<Optimizer> optimizer_;
    Batcher batcher_;
    std::unique_ptr<PipelineExecutor> executor_; // null under sequential
    std::unique_ptr<LiveEvaluation> live_;       // null without live evaluation
    Timeline lastTimeline_;
    int64_t globalStep_ = 0;
    bool acrossRanks_ = false;    // setRanks: one rank of a job
    int64_t checkpointEvery_ = 0; // steps; 0: no periodic checkpoints
    std::function<void(int64_t)> saveCheckpointAt_;
};

} // namespace lpm
