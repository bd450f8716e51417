// The profiler: measures each unit of a model on a real backend, for one
// micro-batch size (DESIGN §1.2). It runs whole training passes, as a stage
// does: each round is a forward through every unit (the loss counted in the
// last unit's forward, where the last stage computes it) and a backward
// through every unit in reverse, each unit timed on its own. Per unit and
// direction the result is the median of the counted rounds (at least
// `repetitions`, and as many as `minimumSeconds` takes) after `warmup`
// rounds that are not counted, so a cold cache or a page fault does not
// become a plan, and a machine that slows down for a while slows every unit's
// samples alike rather than a few units' (their ratios decide the cuts).
// Run it with a backend of
// one thread to measure one CPU stage, or with a GPU's: the input, weights and
// gradients are then placed in its memory, and every time waits for the GPU.
#pragma once

#include <functional>
#include <string>

#include "plan/cost_model.h"

namespace lpm {

class Backend;

struct ProfileOptions {
    int64_t microBatchSize = 32;
    int warmup = 2;
    int repetitions = 7; // counted rounds at least
    // ... and at least this much time in counted rounds: a VM's speed drifts
    // by ±15 % over seconds, and 7 rounds of a small model see one moment of it
    // (resnet-mini's whole profile: ±21 % between runs with 7 rounds, ±11 %
    // with 35; docs/BENCHMARKS.md).
    double minimumSeconds = 3.0;
    std::string device = "cpu";    // the DeviceCosts::device the times are for
    std::string deviceDescription; // e.g. the CPU's model name, for DeviceCosts::source
};

// Called after each round: rounds done, rounds in all (warm-up included; an
// estimate that grows while the minimum time is not reached).
using ProfileProgress = std::function<void(int done, int total)>;

// Throws InvalidArgument, naming the model and `device`, for a zoo model at a
// real size (ZooEntry::large): those are planned from catalogue estimates.
void requireProfilable(const std::string& model, const std::string& device);

// Returns the model's costs with one DeviceCosts: the measured times.
// Throws InvalidArgument for a micro-batch size, warm-up, repetition count or
// minimum time out of range, and for a model requireProfilable refuses.
ModelCosts profileModel(Backend& backend, Model& model, const ProfileOptions& options,
                        const ProfileProgress& progress = {});

} // namespace lpm
