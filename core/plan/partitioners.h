// Partitioners: cut a chain of units into contiguous stages on a pipeline's
// devices (stage k on device k). Every partitioner uses at most
// min(devices, units) stages, returns a plan that fits in memory, or throws
// InvalidArgument naming the stage, its device and the bytes over capacity.
//
//   uniform   equal unit counts
//   balanced  greedy balance of compute time, weighted by device speed
//             (boundaries where the running time crosses each device's share)
//   optimal   exact dynamic programme minimising the bottleneck stage time,
//             communication included, over every contiguous cut into 1..p
//             stages that fits in memory; O(p·n²) at worst, much less with
//             an exact cut-off when stages hold few of the units
//   lpm       layer-wise partitioning and merging (plan/lpm_partitioner.h)
#pragma once

#include <string>
#include <vector>

#include "plan/partition_problem.h"

namespace lpm {

Partition partitionUniform(const PartitionProblem& problem);
Partition partitionBalanced(const PartitionProblem& problem);
Partition partitionOptimal(const PartitionProblem& problem);
// optimal's dynamic programme alone: the cut into 1..min(p, n) stages with the
// smallest bottleneck stage time (StageCosts::seconds, communication
// included), fewest stages among equals. With `honourMemory` only cuts whose
// stages fit their devices count, and the result is empty when none fits;
// without, memory is ignored (what cutting could give at best).
Partition partitionMinimalBottleneck(const PartitionProblem& problem, bool honourMemory);

// The partitioners by name ("lpm", "optimal", "balanced", "uniform").
const std::vector<std::string>& partitionerNames();
// Throws InvalidArgument listing the known names for an unknown one.
Partition planPartition(const std::string& partitioner, const PartitionProblem& problem);

} // namespace lpm
