// An optimizer's settings, as plain values (no tensor headers).
#pragma once

#include <cstdint>
#include <string>

namespace lpm {

struct OptimizerOptions {
    std::string kind = "sgd"; // "sgd", "adam" or "adamw" (Adam with decoupled weight decay)
    float learningRate = 0.05f;
    float momentum = 0.9f; // SGD only
    bool nesterov = false; // SGD only
    float weightDecay = 0.0f;
    float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f; // Adam and AdamW only
    // The learning-rate schedule (learningRateAt): "constant", or "cosine":
    // linear warm-up over warmupSteps, then cosine decay to a tenth of the
    // rate at decaySteps (and a tenth after it).
    std::string schedule = "constant";
    int64_t warmupSteps = 0;
    int64_t decaySteps = 0; // cosine: the step at which the decay ends (> warmupSteps)
    // Gradient clipping by global norm (optim/gradient_clipping.h) before
    // each update; 0: none.
    float clipGradNorm = 0.0f;
};

// The learning rate of update `step` (1-based, as Optimizer::updateRange
// numbers them): a function of the options and the step alone, so every
// pipeline stage computes the same rate for the same update.
//   constant: lr;
//   cosine:   lr·step/warmup for step ≤ warmup, then
//             lr·(0.1 + 0.9·(1 + cos(π·(step − warmup)/(decay − warmup)))/2) up to decay, 0.1·lr after.
float learningRateAt(const OptimizerOptions& options, int64_t step);

// The learning rate a run uses when none is given: 0.05 for SGD, 0.001 for Adam and AdamW.
inline double defaultLearningRate(const std::string& kind)
{
    return kind == "adam" || kind == "adamw" ? 1e-3 : 0.05;
}

} // namespace lpm
