// The automatic choice of a schedule (`lpm plan --schedule auto`): every
// schedule predicted on a plan's model, devices and micro-batches (interleaved
// with the plan's chunks, or kDefaultInterleavedChunks), without
// and with activation recomputation on every stage, each cut for itself, and
// the fastest one that fits the devices' memory and is exact (or, when
// inexact ones are allowed, the fastest that fits). Recomputation costs a
// forward per micro-batch, so it wins only where the plain schedule does not
// fit (or fits with worse cuts). On CPU cores, each schedule that takes
// replicas is also predicted with the stage replication chooseReplication
// picks (replication_choice.h), where the costs hold every "cpu*r" it needs.
#pragma once

#include <string>
#include <vector>

#include "plan/plan.h"
#include "sim/prediction.h"

namespace lpm {

struct ScheduleCandidate {
    std::string schedule;
    bool recompute = false;  // every stage recomputes its activations
    bool replicated = false; // stages replicated on CPU cores as chooseReplication picks
    bool exact = true;       // leaves sequential's weights bit for bit
    bool fits = false;       // every stage's predicted memory within its device's capacity
    std::string problem;     // why the schedule could not be planned here (then `plan` and `prediction` are empty)
    Plan plan;               // cut for this schedule
    Prediction prediction;
};

struct ScheduleChoice {
    // Every schedule in scheduleNames() order, each without and then with
    // recomputation, then (where it applies) with replication.
    std::vector<ScheduleCandidate> candidates;
    int chosen = -1; // index into candidates; −1: none fits
};

// `plan`'s model, costs, devices, batch and micro-batches under every
// schedule. Planning problems of one schedule (e.g. dp where the batch does
// not divide among the replicas) are kept in its `problem`, not thrown.
ScheduleChoice chooseSchedule(const Plan& plan, bool allowInexact);

} // namespace lpm
