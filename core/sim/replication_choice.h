// The planner's choice of stage replication (hybrid data × pipeline
// parallelism; plan.h): how many CPU cores each stage runs on. PipeDream's
// optimizer asks the same question by dynamic programming over a model of
// its all-reduce; here each candidate is cut by the plan's partitioner and
// predicted by the simulator, with every replicated stage timed by the
// costs measured on that many cores ("cpu*r"), so the candidates compare on
// the figures the plan will be predicted with.
//
// Candidates, on p cores: every way of cutting the cores into consecutive
// groups (2^(p − 1) of them) up to kFullReplicationSearchCores cores, and
// only equal groups beyond. A candidate whose partitioner uses fewer
// stages than it has groups leaves the later groups' cores unused.
#pragma once

#include <vector>

#include "plan/plan.h"

namespace lpm {

inline constexpr int kFullReplicationSearchCores = 8;

// The replica counts, group by group, tried on `cores` cores (the first is
// one core per stage: no replication).
std::vector<std::vector<int>> replicationCandidates(int cores);

// The replica counts above 1 among replicationCandidates(cores): the "cpu*r"
// costs a search needs.
std::vector<int> replicationThreadCounts(int cores);

// Cuts `plan` (its devices: CPU cores, one entry each, as planDevices gives
// them) with every candidate replication and keeps the fastest predicted
// one that fits in memory, or without replication when none fits. Needs
// plan.costs for every count of replicationThreadCounts. Throws
// InvalidArgument when the devices are not all unshared CPU cores, or the
// schedule does not take replicas (dp, interleaved).
void chooseReplication(Plan& plan);

// True when `devices` are all unshared one-core CPU entries, the devices
// chooseReplication groups.
bool replicableDevices(const std::vector<PlanDeviceEntry>& devices);

} // namespace lpm
