#include "sim/schedule_choice.h"

#include "schedule/schedule.h"
#include "tensor/error.h"

namespace lpm {

ScheduleChoice chooseSchedule(const Plan& plan, bool allowInexact)
{
    ScheduleChoice choice;
    for (const std::string& schedule : scheduleNames())
        for (const bool recompute : {false, true}) {
            ScheduleCandidate candidate;
            candidate.schedule = schedule;
            candidate.recompute = recompute;
            candidate.exact = scheduleTraits(schedule).exact();
            try {
                Plan cut = withSchedule(plan, schedule);
                cut.recompute = recompute;
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
