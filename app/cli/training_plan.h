// Plans the commands make: `lpm plan`'s (makePlan), and the one a pipelined
// `lpm train` runs (trainingPlan): read from --plan, or made now for
// --devices: CPU stages (cpu:N), or stages sharing one local GPU (cuda:KxN).
#pragma once

#include <string>
#include <vector>

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
    // Stage replication on CPU cores (plan.h): cores per stage, or 0 for the
    // planner's choice (chooseReplication). replicaCosts: also profile the
    // cores for every replication a search tries (for --schedule auto).
    int replicas = 1;
    bool replicaCosts = false;
    // Measured links between neighbouring devices (lpm train --devices mpi
    // probes its ranks'): link k becomes device k's link to device k + 1.
    // Empty: the links the device set assumes.
    std::vector<LinkSpec> links = {};
    // One stage per MPI rank (lpm train --devices mpi): the stages are not
    // bounded by this process's cores.
    bool stagesOnRanks = false;
};

// --replicas: "auto" gives 0 (the planner chooses), a whole number of at
// least 1 itself; throws InvalidArgument for anything else.
int parseReplicasOption(const std::string& text);

// The help text of --replicas, the same for `lpm plan` and `lpm train`.
extern const char* const kReplicasHelp;

// A plan made now: devices parsed, costs loaded or taken, the model cut by
// the partitioner (lpm's step 5 by simulation). Notes on stderr unless quiet.
Plan makePlan(const PlanRequest& request);

// Throws InvalidArgument naming the device for stages a run cannot train on
// (catalogue devices, several GPUs, CPU and GPU mixed), and what validatePlan
// throws for an inconsistent plan.
Plan trainingPlan(const PlanRequest& request);

} // namespace lpm::cli
