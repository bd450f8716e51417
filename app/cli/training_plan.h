// The plan a pipelined `lpm train` runs: read from --plan, or made now for
// --devices (CPU stages only: the executor has no GPU transport yet) with
// the partitioner and schedule asked for, from a profile taken now.
#pragma once

#include <string>

#include "plan/plan.h"

namespace lpm::cli {

struct TrainingPlanRequest {
    std::string planFile;     // trainingPlan: when set, everything below comes from it
    std::string model;
    std::string devices;      // e.g. "cpu:2"
    std::string partitioner;
    std::string schedule;
    std::string optimizer;
    int64_t batch = 0;
    int64_t microBatches = 1;
    std::string costsFile;    // unit costs from `lpm profile`; empty: profile or estimate now
    bool quiet = false;
};

// A plan made now: devices parsed, costs loaded or taken, the model cut by
// the partitioner (lpm's step 5 by simulation). Notes on stderr unless quiet.
Plan makePlan(const TrainingPlanRequest& request);

// Throws InvalidArgument naming the device for non-CPU stages, and what
// validatePlan throws for an inconsistent plan.
Plan trainingPlan(const TrainingPlanRequest& request);

} // namespace lpm::cli
