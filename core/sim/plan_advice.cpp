#include "sim/plan_advice.h"

#include <cstdio>

#include "schedule/schedule.h"
#include "tensor/error.h"

namespace lpm {

namespace {

// "unit 3 Conv2d #2 (5x5, 16->32)", or "unit 3" without labels.
std::string unitName(int unit, const std::vector<std::string>& unitLabels)
{
    std::string name = "unit " + std::to_string(unit);
    if (size_t(unit) < unitLabels.size() && !unitLabels[size_t(unit)].empty())
        name += " " + unitLabels[size_t(unit)];
    return name;
}

std::string formatted(const char* format, double value)
{
    char text[64];
    std::snprintf(text, sizeof text, format, value);
    return text;
}

} // namespace

const std::vector<std::string>& suggestionCandidates()
{
    static const std::vector<std::string> names = [] {
        std::vector<std::string> list;
        for (const std::string& name : scheduleNames())
            if (!scheduleTraits(name).singleStage)
                list.push_back(name);
        return list;
    }();
    return names;
}

SpeedupCeiling estimateSpeedupCeiling(const Plan& plan)
{
    validatePlan(plan);
    // On the physical devices, with contiguous stages: an interleaved plan's
    // chunks take turns on their device, so its devices are not p·v. (Its
    // non-contiguous stages may balance a little better than this bound says.)
    // A replicated plan's bound is that of a cut over its cores one by one,
    // which replication can pass.
    if (scheduleTraits(plan.schedule).interleaved)
        return estimateSpeedupCeiling(partitionProblemFor(withSchedule(plan, "1f1b")));
    if (replicatesStages(plan))
        return estimateSpeedupCeiling(partitionProblemFor(withSchedule(plan, plan.schedule)));
    return estimateSpeedupCeiling(partitionProblemFor(plan));
}

std::string describeBottleneck(const Plan& plan, const SpeedupCeiling& ceiling,
                               const std::vector<std::string>& unitLabels)
{
    const std::vector<PlanDeviceEntry> devices = physicalDevices(plan); // the ceiling's
    switch (ceiling.kind) {
    case BottleneckKind::Devices:
        return "none: the work divides evenly over " + std::to_string(ceiling.cut.size()) + " devices";
    case BottleneckKind::Unit:
        return unitName(ceiling.unit, unitLabels) + ": " + formatted("%.0f%%", ceiling.unitShare * 100.0)
               + " of the work";
    case BottleneckKind::Link: {
        const std::string& from = devices.at(size_t(ceiling.link)).label;
        const std::string& to = devices.at(size_t(ceiling.link) + 1).label;
        return "link " + from + " -> " + to + " at the cut after " + unitName(ceiling.unit, unitLabels) + ": "
               + formatted("%.3f", ceiling.transferSeconds * 1e3) + " ms of transfers per micro-batch";
    }
    case BottleneckKind::Stage: {
        const PlannedStage& stage = ceiling.cut.at(size_t(ceiling.slowestStage));
        return "stage " + std::to_string(ceiling.slowestStage) + " (units " + std::to_string(stage.first) + "-"
               + std::to_string(stage.last) + " on " + devices.at(size_t(stage.device)).label
               + "): the units do not divide more evenly";
    }
    }
    return {}; // not reached: every kind is named above
}

bool cutCannotPay(const Plan& plan, const SpeedupCeiling& ceiling)
{
    return ceiling.speedup < kCutPaysShareOfDevices * double(physicalDevices(plan).size());
}

std::optional<ScheduleSuggestion> predictFastestOtherSchedule(const Plan& plan)
{
    const bool fresh = !scheduleTraits(plan.schedule).stale();
    const bool replicate = cutCannotPay(plan, estimateSpeedupCeiling(plan));
    std::optional<ScheduleSuggestion> best;
    for (const std::string& schedule : suggestionCandidates()) {
        const ScheduleTraits traits = scheduleTraits(schedule);
        if (schedule == plan.schedule || (fresh && traits.stale()) || (!replicate && traits.replicated))
            continue;
        Prediction prediction;
        try {
            Plan candidate = withSchedule(plan, schedule); // (interleaved cannot run on one device)
            partitionPlanPredicted(candidate);
            prediction = predictPlan(candidate);
        } catch (const InvalidArgument&) {
            continue; // cannot be planned under this schedule (memory)
        }
        if (!best || prediction.iterationSeconds < best->iterationSeconds)
            best = ScheduleSuggestion{schedule, prediction.iterationSeconds, prediction.speedup};
    }
    return best;
}

std::optional<ScheduleSuggestion> suggestSchedule(const std::optional<ScheduleSuggestion>& fastest,
                                                  double planIterationSeconds)
{
    if (fastest && planIterationSeconds > 0.0
        && fastest->iterationSeconds <= (1.0 - kSuggestionMinimumGain) * planIterationSeconds)
        return fastest;
    return std::nullopt;
}

std::optional<ScheduleSuggestion> suggestSchedule(const Plan& plan, double planIterationSeconds)
{
    if (!(planIterationSeconds > 0.0))
        return std::nullopt; // nothing to gain on: spare the candidates' planning
    return suggestSchedule(predictFastestOtherSchedule(plan), planIterationSeconds);
}

PlanAdvice advisePlan(const Plan& plan, const Prediction& prediction, const std::vector<std::string>& unitLabels)
{
    PlanAdvice advice;
    advice.ceiling = estimateSpeedupCeiling(plan);
    advice.bottleneck = describeBottleneck(plan, advice.ceiling, unitLabels);
    advice.suggestion = suggestSchedule(plan, prediction.iterationSeconds);
    return advice;
}

} // namespace lpm
