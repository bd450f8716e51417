#include "sim/scaling_prediction.h"

#include <algorithm>
#include <exception>

#include "sim/prediction.h"

namespace lpm {

std::vector<double> predictScaling(const Plan& plan, size_t maxDevices)
{
    const std::vector<PlanDeviceEntry> physical = physicalDevices(plan);
    const size_t count = std::min(physical.size(), maxDevices);
    std::vector<double> speedups;
    speedups.reserve(count);
    for (size_t n = 1; n <= count; ++n) {
        Plan fewer = plan;
        try {
            // The first n physical devices (interleaved: their chunks again; on one, sequential).
            const std::vector<PlanDeviceEntry> first(physical.begin(), physical.begin() + std::ptrdiff_t(n));
            if (plan.chunks > 1 && n == 1)
                fewer = withSchedule(plan, kSequentialSchedule);
            fewer.devices = plan.chunks > 1 && n > 1 ? interleavedDevices(first, plan.chunks) : first;
            partitionPlanPredicted(fewer);
            speedups.push_back(predictPlan(fewer).speedup);
        } catch (const std::exception&) {
            speedups.push_back(0.0); // no plan on n devices
        }
    }
    return speedups;
}

} // namespace lpm
