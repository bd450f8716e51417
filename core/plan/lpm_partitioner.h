// The `lpm` partitioner: layer-wise partitioning and merging (DESIGN §1.3).
//
//  1. Layer-wise partition: every unit is its own partition.
//  2. Merge: while there are more partitions than devices, merge the adjacent
//     pair whose merged compute + input-communication cost is smallest on the
//     reference device and the mean link; on a tie, the pair whose shared
//     boundary carries the most bytes (the merge that removes most traffic).
//  3. Map: partition k goes to device k, in the pipeline's device order
//     (ordering devices by link speed is the device-set builder's job).
//  4. Refine: move one boundary by one unit while that lowers the objective
//     (bytes over memory capacity, then the bottleneck stage time, then
//     Σ stage time², which spreads work across ties of the bottleneck). At a
//     local optimum, move all boundaries jointly, each within ±kRefineBand
//     units of where it is, to the exact best such cut (a small dynamic
//     programme), and go on while that helps. Single moves alone stall in
//     local optima (64 % of random instances within 5 % of optimal); the joint
//     step is what lifts it to >99 % — our addition to the published steps.
//  5. Merge past the device count: try fewer stages (merging the adjacent pair
//     that keeps the objective lowest, then refining) and keep the best; by
//     simulated time, fewer stages win a tie (the same speed on fewer devices).
//
// Steps 2-4 optimise the cost model's bottleneck (partition_problem.h); step
// 5 compares stage counts by the simulated iteration time when the problem
// carries one (PartitionProblem::iterationSeconds, set by
// partitionPlanPredicted in sim/prediction.h), which is how lpm can beat
// `optimal` on the full objective: with few micro-batches or slow links a
// pipeline's bubble and transfers outweigh a smaller bottleneck.
#pragma once

#include "plan/partition_problem.h"

namespace lpm {

Partition partitionLpm(const PartitionProblem& problem);

} // namespace lpm
