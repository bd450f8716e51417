// Plans the commands make: `lpm plan`'s (makePlan), and the one a pipelined
// `lpm train` runs (trainingPlan): read from --plan, or made now for
// --devices: CPU stages (cpu:N), or stages sharing one local GPU (cuda:KxN).
#pragma once

#include <string>

#include "plan/plan.h"
#include "schedule/schedule.h"

namespace lpm::cli {

// What to plan; the defaults are `lpm plan`'s.
struct PlanRequest {
    std::string planFile; // trainingPlan: when set, everything below comes from it
    std::string model = "cnn";
    std::string devices = "cpu:2";
    std::string partitioner = "lpm";
    std::string schedule = kPipelinedSchedule;
    std::string optimizer = "sgd";
    int64_t batch = 64;
    int64_t microBatches = 4;
    bool recompute = false; // every stage recomputes its activations (Plan::recompute)
    int chunks = 0;         // interleaved: model chunks per device; 0: 2 for interleaved, else 1
    std::string costsFile;  // unit costs from `lpm profile`; empty: profile or estimate now
    bool quiet = false;
};

// A plan made now: devices parsed, costs loaded or taken, the model cut by
// the partitioner (lpm's step 5 by simulation). Notes on stderr unless quiet.
Plan makePlan(const PlanRequest& request);

// Throws InvalidArgument naming the device for stages a run cannot train on
// (catalogue devices, several GPUs, CPU and GPU mixed), and what validatePlan
// throws for an inconsistent plan.
Plan trainingPlan(const PlanRequest& request);

} // namespace lpm::cli
