#include "sim/scaling_prediction.h"

#include <algorithm>
#include <exception>

#include "sim/prediction.h"

namespace lpm {

std::vector<double> predictScaling(const Plan& plan, size_t maxDevices)
{
    const size_t count = std::min(plan.devices.size(), maxDevices);
    std::vector<double> speedups;
    speedups.reserve(count);
    for (size_t n = 1; n <= count; ++n) {
        Plan fewer = plan;
        fewer.devices.resize(n);
        try {
            partitionPlanPredicted(fewer);
            speedups.push_back(predictPlan(fewer).speedup);
        } catch (const std::exception&) {
            speedups.push_back(0.0); // no plan on n devices
        }
    }
    return speedups;
}

} // namespace lpm
