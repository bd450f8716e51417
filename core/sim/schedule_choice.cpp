#include "sim/schedule_choice.h"

#include "schedule/schedule.h"
#include "sim/replication_choice.h"
#include "tensor/error.h"

namespace lpm {

namespace {

// Replication candidates apply on two or more CPU cores whose "cpu*r" costs are all there.
bool replicationApplies(const Plan& plan)
{
    const std::vector<PlanDeviceEntry> cores = physicalDevices(plan);
    if (cores.size() < 2 || !replicableDevices(cores))
        return false;
    for (int replicas : replicationThreadCounts(int(cores.size())))
        if (plan.costs.find(replicatedCostsDevice(replicas)) == nullptr)
            return false;
    return true;
}

} // namespace

ScheduleChoice chooseSchedule(const Plan& plan, bool allowInexact)
{
    ScheduleChoice choice;
    const bool replication = replicationApplies(plan);
    for (const std::string& schedule : scheduleNames())
        for (const auto& [recompute, replicated] : {std::pair{false, false}, {true, false}, {false, true}}) {
            const ScheduleTraits traits = scheduleTraits(schedule);
            if (replicated && (!replication || traits.replicated || traits.interleaved))
                continue;
            ScheduleCandidate candidate;
            candidate.schedule = schedule;
            candidate.recompute = recompute;
            candidate.replicated = replicated;
            candidate.exact = traits.exact();
            try {
                Plan cut = withSchedule(plan, schedule);
                cut.recompute = recompute;
                if (replicated)
                    chooseReplication(cut);
                else
                    partitionPlanPredicted(cut);
                candidate.prediction = predictPlan(cut);
                candidate.plan = std::move(cut);
                candidate.fits = firstStageOverMemory(candidate.prediction) < 0;
            } catch (const InvalidArgument& error) {
                candidate.problem = error.what();
            }
            choice.candidates.push_back(std::move(candidate));
        }
    for (size_t i = 0; i < choice.candidates.size(); ++i) {
        const ScheduleCandidate& candidate = choice.candidates[i];
        if (!candidate.problem.empty() || !candidate.fits || (!candidate.exact && !allowInexact))
            continue;
        if (choice.chosen < 0
            || candidate.prediction.iterationSeconds
                   < choice.candidates[size_t(choice.chosen)].prediction.iterationSeconds)
            choice.chosen = int(i);
    }
    return choice;
}

} // namespace lpm
