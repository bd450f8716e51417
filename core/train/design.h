// A design: what LPM Studio edits and saves as `*.lpm.json`, and what
// `lpm train --design` runs. It is a plan (model, devices, stages, schedule,
// batch, micro-batches, costs) plus the training settings.
//
//   {"format": "lpm-design", "version": 1,
//    "plan": {...an lpm-plan document (plan_json.h)...},
//    "training": {"dataset", "epochs", "steps", "learning_rate", "seed",
//                 "compare_sequential", "weight_stash",
//                 optional: "lr_schedule", "warmup_steps", "clip_grad_norm",
//                 "weight_decay" (files written before them load the defaults)}}
#pragma once

#include <cstdint>
#include <string>

#include "plan/plan.h"
#include "train/training_session.h"

namespace lpm {

struct TrainingSettings {
    std::string dataset = "fashion-mnist"; // "fashion-mnist", "synthetic" or an MNIST-format folder
    int64_t epochs = 1;
    int64_t steps = 0;          // when > 0, this many steps instead of epochs
    double learningRate = 0.05; // for plan.optimizer
    uint64_t seed = 1;
    bool compareSequential = false;
    bool weightStash = false; // lpm-async only
    // OptimizerOptions' schedule, warm-up, clipping and weight decay; the
    // cosine decay ends at the run's last step.
    std::string learningRateSchedule = "constant"; // or "cosine"
    int64_t warmupSteps = 0;
    double clipGradNorm = 0.0; // 0: no clipping
    double weightDecay = 0.0;  // in [0, 1]

    bool operator==(const TrainingSettings&) const = default;
};

struct Design {
    static constexpr int kFormatVersion = 1;

    Plan plan;
    TrainingSettings training;
};

std::string designToJson(const Design& design);

// Throws FileError starting with `source` that names the field and what was
// expected (as planFromJson does, with "plan." before the plan's fields), and
// for settings out of range (epochs and steps not negative, a positive
// learning rate, weight stashing only under lpm-async, a known learning-rate
// schedule, warm-up and clipping not negative, clipping only where the plan's
// schedule can clip exactly, weight decay in [0, 1]).
Design designFromJson(const std::string& text, const std::string& source);

// Reads and writes design files; writing is atomic (a failed save leaves the
// old file as it was).
Design loadDesignFile(const std::string& path);
void saveDesignFile(const std::string& path, const Design& design);

// Per stage of `plan`, the backend its device slot names (stageBackendsFor;
// interleaved: stage k on slot k mod p); empty where the slots name none.
std::vector<std::string> stageBackendsOf(const Plan& plan);

// The session that trains a design: the plan's model, stages, schedule,
// batch, micro-batches and optimizer with the design's training settings, on
// the CPU or on the one local GPU the plan's devices name. Throws
// InvalidArgument for devices a run cannot train on (requireTrainableDevices).
SessionRequest sessionRequestFor(const Design& design);

} // namespace lpm
