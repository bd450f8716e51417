// What the executor's tests share (test_executor, test_rank_pipeline): a
// model's units cut into even stages, and the optimizer they train with.
#pragma once

#include "optim/optimizer.h"
#include "plan/partition_problem.h"

namespace lpm {

// `units` split into `stages` runs as equal as possible, stage s on device s.
inline Partition evenStages(int units, int stages)
{
    Partition partition;
    for (int s = 0; s < stages; ++s)
        partition.push_back({s * units / stages, (s + 1) * units / stages - 1, s});
    return partition;
}

// SGD with momentum 0.9 and learning rate 0.05.
inline OptimizerOptions sgd()
{
    OptimizerOptions options;
    options.learningRate = 0.05f;
    options.momentum = 0.9f;
    return options;
}

} // namespace lpm
