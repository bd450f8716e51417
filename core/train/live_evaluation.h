// Live evaluation (issue 18): while a run trains, a fixed subset of the test
// set, drawn once by the seed, is evaluated often enough that the accuracy
// curve has a point every 5 % of the run and every few seconds.
//
// It never changes the run: under `sequential` it evaluates the trainer's
// weights between steps (an evaluation-mode pass reads weights and batch-norm
// statistics and writes neither; dropout draws nothing; random keys are
// functions of (seed, step), not of a stream). Under a pipelined schedule the
// stages update at different moments, so it evaluates a snapshot the stages
// took after their own updates of the chosen step (PipelineExecutor's
// SnapshotRequest), on a model of its own, while the stages go on training.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "backend/backend.h"
#include "data/dataset.h"
#include "nn/model.h"
#include "nn/parameter_store.h"
#include "pipeline/executor.h"
#include "train/train_options.h"
#include "train/training_step.h"

namespace lpm {

// The subset's size for a run that trains `trainingSamples` samples:
// kLiveEvaluationSamplesPerTrainingSample of them, within
// [kLiveEvaluationMinSamples, maxSamples] (maxSamples when it is smaller).
int64_t liveEvaluationSamplesFor(int64_t trainingSamples, int64_t maxSamples);

class LiveEvaluation {
public:
    // Up to `maxSamples` of `test` (which must outlive this) drawn with `seed`,
    // evaluated in batches of `batchSize` with model `modelName`.
    // With sampleBytes > 0, a language model's evaluation on a host backend
    // also continues the subset's first kLiveSamplePromptBytes by that many
    // bytes (EvaluationResult::samplePrompt, sampleText; draws from `seed`),
    // at the cadence of kLiveSampleSeconds.
    LiveEvaluation(const std::string& modelName, const Dataset& test, int64_t maxSamples, uint64_t seed,
                   int64_t batchSize, int64_t sampleBytes = 0);

    // Starts a run of `totalSteps` steps of `batch` samples: the subset for
    // its length (liveEvaluationSamplesFor; all of the test set when it has
    // fewer), the cadence's count, and its clock from now.
    void startRun(int64_t totalSteps, int64_t batch);
    // Whether the weights after the run's `stepsDone`-th step (1-based) are
    // evaluated: every max(1, totalSteps / 20)-th step and the last, and any
    // step once max(kLiveEvaluationSeconds, last evaluation's seconds /
    // kLiveEvaluationShare) passed since the last one chosen. Thread-safe:
    // the executor asks from its stage threads.
    bool due(int64_t stepsDone);
    // Whether due(stepsDone) said yes; forgets it (each step is asked once).
    bool takeChosen(int64_t stepsDone);

    // Evaluates `model` as its weights are now (evaluation mode; changes nothing).
    EvaluationResult evaluate(Backend& backend, Model& model);
    // Evaluates a snapshot of the weights, on a model of this object's own
    // placed in `backend`'s memory (made at the first call).
    EvaluationResult evaluate(Backend& backend, const WeightsSnapshot& snapshot);

    int64_t sampleCount() const { return subset_.count; }

private:
    using Clock = std::chrono::steady_clock;
    EvaluationResult timedEvaluation(Backend& backend, Model& model);

    const Dataset& test_;
    int64_t maxSamples_;
    uint64_t seed_;
    Dataset subset_; // sampleSubset(test_, size for the run, seed_)
    std::string modelName_;
    int64_t batchSize_;
    int64_t sampleBytes_;
    std::unique_ptr<Model> snapshotModel_; // pipelined runs: where snapshots are evaluated
    std::unique_ptr<ParameterStore> snapshotStore_;

    std::mutex mutex_; // guards the cadence below
    int64_t every_ = 1;
    int64_t totalSteps_ = 0;
    Clock::time_point lastChosen_;
    double lastSeconds_ = 0.0;                    // the last evaluation's wall time
    std::optional<Clock::time_point> lastSample_; // none yet in this run
    std::set<int64_t> chosen_;                    // steps due() said yes to, until takeChosen
};

} // namespace lpm
