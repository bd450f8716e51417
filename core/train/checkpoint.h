// The checkpoint file: what a run needs to continue exactly (trainer.h), and
// what `lpm generate` needs to use the weights (the model's name).
//
// Payload (io/checksummed_file.h, magic "LPMCKPT", format version 2), field
// by field in this order: model name · seed · batch · micro-batches ·
// optimizer kind · learning rate · momentum · Nesterov · weight decay ·
// learning-rate schedule · warm-up steps · decay steps · clipping norm ·
// global step · optimizer step · parameters · buffers · the optimizer's state
// vectors (a count, then each). Version 1 lacked the four fields from the
// schedule to the clipping norm and is refused by name.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "nn/parameter_store.h"
#include "optim/optimizer_options.h"

namespace lpm {

struct Checkpoint {
    std::string model;
    uint64_t seed = 0;
    int64_t batch = 0;
    int64_t microBatches = 0;
    // kind, learningRate, momentum, nesterov, weightDecay, schedule,
    // warmupSteps, decaySteps (resolved: never 0 under cosine), clipGradNorm;
    // Adam's betas and epsilon are not options and are not stored.
    OptimizerOptions optimizer;
    int64_t globalStep = 0;     // training steps since initialisation
    int64_t optimizerSteps = 0; // updates the optimizer counted
    std::vector<float> parameters;
    std::vector<float> buffers;
    std::vector<std::vector<float>> optimizerState; // each parameters.size() floats
};

// Writes atomically; throws FileError naming the file when it cannot.
void writeCheckpoint(const std::filesystem::path& file, const Checkpoint& checkpoint);

// Throws FileError naming the file and the fault: unreadable, not a
// checkpoint, another format version, damaged, truncated or with trailing
// data, a negative step, or state vectors of another length than the
// parameters. Whether it fits a model is the caller's to check.
Checkpoint readCheckpoint(const std::filesystem::path& file);

// Copies a checkpoint's weights and buffers (read from `file`) into the
// host values of `store`, a store of checkpoint.model; throws FileError
// naming the file and both counts when they are not the store's.
void restoreWeights(const Checkpoint& checkpoint, const std::filesystem::path& file, ParameterStore& store);

} // namespace lpm
