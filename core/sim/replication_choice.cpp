#include "sim/replication_choice.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>

#include "sim/prediction.h"
#include "tensor/error.h"

namespace lpm {

std::vector<std::vector<int>> replicationCandidates(int cores)
{
    std::vector<std::vector<int>> candidates;
    if (cores < 1)
        return candidates;
    if (cores > kFullReplicationSearchCores) {
        for (int replicas = 1; replicas <= cores; ++replicas)
            if (cores % replicas == 0)
                candidates.push_back(equalReplicas(cores, replicas));
        return candidates;
    }
    // Bit b of `cuts` set: a group ends after core b (b < cores − 1). Cuts
    // everywhere (one core per group) come first.
    const unsigned all = (1u << unsigned(cores - 1)) - 1u;
    for (unsigned cuts = all + 1; cuts-- > 0;) {
        std::vector<int> groups;
        int size = 1;
        for (int b = 0; b < cores - 1; ++b, ++size)
            if (cuts & (1u << unsigned(b))) {
                groups.push_back(size);
                size = 0;
            }
        groups.push_back(size);
        candidates.push_back(std::move(groups));
    }
    return candidates;
}

std::vector<int> replicationThreadCounts(int cores)
{
    std::set<int> counts;
    for (const std::vector<int>& candidate : replicationCandidates(cores))
        for (int replicas : candidate)
            if (replicas > 1)
                counts.insert(replicas);
    return {counts.begin(), counts.end()};
}

bool replicableDevices(const std::vector<PlanDeviceEntry>& devices)
{
    return std::all_of(devices.begin(), devices.end(), [](const PlanDeviceEntry& device) {
        return device.costsDevice == replicatedCostsDevice(1) && device.sharedBy == 1 && device.replicas == 1;
    });
}

void chooseReplication(Plan& plan)
{
    const ScheduleTraits traits = scheduleTraits(plan.schedule);
    if (traits.replicated || traits.interleaved)
        throw InvalidArgument("replicas: " + plan.schedule
                              + " does not replicate stages (replicas apply to one-stage-per-device pipelines)");
    if (!replicableDevices(plan.devices))
        throw InvalidArgument("replicas: stages are replicated on CPU cores only (cpu:N); " + plan.deviceSpec
                              + " has other devices (replicating a stage over GPUs is not available yet)");
    const std::vector<PlanDeviceEntry> cores = plan.devices;
    std::optional<Plan> best;
    double bestSeconds = std::numeric_limits<double>::infinity();
    for (const std::vector<int>& replicas : replicationCandidates(int(cores.size()))) {
        Plan candidate = plan;
        candidate.devices = replicatedDevices(cores, replicas);
        try {
            partitionPlanPredicted(candidate);
        } catch (const InvalidArgument&) {
            continue; // does not fit in memory with these groups
        }
        const Prediction prediction = predictPlan(candidate);
        if (firstStageOverMemory(prediction) >= 0 || !(prediction.iterationSeconds < bestSeconds))
            continue;
        bestSeconds = prediction.iterationSeconds;
        best = std::move(candidate);
    }
    if (best) {
        plan = std::move(*best);
        return;
    }
    partitionPlanPredicted(plan); // none fits: the plain plan, whose error names the stage over
}

} // namespace lpm
