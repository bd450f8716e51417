// One training step (a mini-batch split into micro-batches) and evaluation,
// run over a whole model on one backend. This is the `sequential` reference
// that every pipeline schedule is held to: micro-batches run in order 0..m−1,
// gradients accumulate in that order, then one optimizer step.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "data/batcher.h"
#include "data/dataset.h"
#include "nn/model.h"
#include "nn/parameter_store.h"
#include "nn/unit_passes.h"
#include "optim/optimizer.h"

namespace lpm {

// Forward, loss and backward of every micro-batch, then one optimizer step.
StepResult runTrainingStep(Backend& backend, Model& model, ParameterStore& store, Optimizer& optimizer,
                           const Batch& batch, int64_t microBatches, uint64_t seed, int64_t step);

struct EvaluationResult {
    double meanLoss = 0.0;
    double accuracy = 0.0; // in [0, 1]: of the samples, or of the positions of sequences
    int64_t samples = 0;
    // Live evaluation of a language model with samples (TrainOptions::liveSampleBytes).
    std::string samplePrompt, sampleText;
};

// Evaluation-mode forward over the whole data set in batches of `batchSize`.
EvaluationResult evaluateModel(Backend& backend, Model& model, const Dataset& data, int64_t batchSize);

} // namespace lpm
