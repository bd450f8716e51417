// How a plan's model is predicted to scale with its devices: the speedup on
// the first n of them, n = 1, 2, …, each cut anew for n devices (the GUI's
// "predicted speedup for 1 to N devices" plot). A pure function of values.
#pragma once

#include <cstddef>
#include <vector>

#include "plan/plan.h"

namespace lpm {

// One element per device count n = 1 … min(plan.devices.size(), maxDevices):
// element n − 1 is Prediction::speedup (over sequential on the fastest of the
// n devices) of the plan on devices[0, n) alone, partitioned by
// partitionPlanPredicted with the plan's partitioner, schedule and batch.
// 0 where no plan can be made on n devices (no cut fits in their memory, or
// the plan is otherwise invalid there). Empty when maxDevices is 0.
std::vector<double> predictScaling(const Plan& plan, size_t maxDevices);

} // namespace lpm
