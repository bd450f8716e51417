// One micro-batch through a run of consecutive units, forward or backward:
// what the sequential trainer does for the whole model and a pipeline stage
// does for its units, so both compute exactly the same thing. Also the
// helpers that make every schedule see the same randomness and the same
// micro-batches.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "backend/backend.h"
#include "nn/model.h"

namespace lpm {

// What training on some samples gave: summed loss, correct predictions.
struct StepResult {
    double lossSum = 0.0; // Σ of per-sample losses
    int64_t correct = 0;  // correct predictions
    int64_t samples = 0;
    int64_t predictions = 0; // one per sample, or one per position of a sequence
};

// Sizes of the m micro-batches of a mini-batch of `batch` samples: as equal as
// possible, the first (batch mod m) one larger. Throws when m < 1 or m > batch.
std::vector<int64_t> microBatchSizes(int64_t batch, int64_t microBatches);

// Rows [first, first + count) of a (N, ...) tensor as a new tensor.
Tensor sliceRows(const Tensor& tensor, int64_t first, int64_t count);

// The random key of unit `unit` in global step `step` (see StepInfo::randomKey).
uint64_t unitRandomKey(uint64_t seed, int64_t step, int unit);

// Training-mode forward of units [first, last] on one micro-batch whose first
// sample is sample `sampleOffset` of the mini-batch of global step `step`.
// `contexts` gets one entry per unit (index u − first) for the backward.
// `recompute`: the second forward of that micro-batch (StepInfo::recompute),
// which computes exactly what the first did and updates no running statistics.
Tensor forwardUnits(Backend& backend, Model& model, int first, int last, Tensor input, uint64_t seed, int64_t step,
                    int64_t sampleOffset, std::vector<std::unique_ptr<LayerContext>>& contexts, bool recompute = false);

// Backward of units [last, first] from the gradient of unit last's output;
// adds parameter gradients and consumes `contexts`. Returns the gradient of
// unit first's input (empty for the model's first unit, which needs none).
Tensor backwardUnits(Backend& backend, Model& model, int first, int last, Tensor gradOutput,
                     std::vector<std::unique_ptr<LayerContext>>& contexts);

// The same backward in two halves (a split schedule's B and W): the input
// gradients, keeping in `contexts` what the weight gradients need; then the
// weight gradients, which consumes `contexts`. Together they leave bit for
// bit what backwardUnits leaves.
Tensor backwardInputUnits(Backend& backend, Model& model, int first, int last, Tensor gradOutput,
                          std::vector<std::unique_ptr<LayerContext>>& contexts);
void backwardWeightUnits(Backend& backend, Model& model, int first, int last,
                         std::vector<std::unique_ptr<LayerContext>>& contexts);

} // namespace lpm
