#include "sim/calibration.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "schedule/schedule.h"
#include "sim/prediction.h"
#include "tensor/error.h"

namespace lpm {

namespace {

enum ActionSlot { kF, kB, kW, kU, kAllReduce, kSlots };

// One stage's seconds and counts of each kind of action.
struct ActionSums {
    double seconds[kSlots] = {};
    int count[kSlots] = {};
};

struct TimelineSums {
    std::vector<ActionSums> stages;
    int miniBatches = 0; // from fromMiniBatch to the last one with an event
};

TimelineSums sumActions(const Timeline& timeline, size_t stages, int fromMiniBatch)
{
    if (size_t(timeline.stages) != stages)
        throw InvalidArgument("calibration: the measured timeline has " + std::to_string(timeline.stages)
                              + " stages, the plan " + std::to_string(stages));
    TimelineSums sums;
    sums.stages.resize(stages);
    for (const TimelineEvent& event : timeline.events) {
        if (event.miniBatch < fromMiniBatch || event.stage < 0 || size_t(event.stage) >= stages
            || event.kind == ActionKind::Recompute) // a forward again: F's events time it
            continue;
        sums.miniBatches = std::max(sums.miniBatches, event.miniBatch + 1 - fromMiniBatch);
        const ActionSlot slot = event.kind == ActionKind::Forward          ? kF
                                : event.kind == ActionKind::Backward       ? kB
                                : event.kind == ActionKind::WeightGradient ? kW
                                : event.kind == ActionKind::Update         ? kU
                                                                           : kAllReduce;
        sums.stages[size_t(event.stage)].seconds[slot] += event.end - event.start;
        ++sums.stages[size_t(event.stage)].count[slot];
    }
    return sums;
}

std::vector<StageTimes> stageTimesFromSums(const TimelineSums& sums, std::vector<StageTimes> predicted)
{
    for (size_t s = 0; s < predicted.size(); ++s) {
        const ActionSums& stage = sums.stages[s];
        StageTimes& t = predicted[s];
        if (stage.count[kF] > 0) // the gather comes out of F: the simulator adds it to the first F
            t.forward = std::max(0.0, (stage.seconds[kF] - sums.miniBatches * t.prepareInput) / stage.count[kF]);
        if (stage.count[kB] > 0 && stage.count[kW] > 0) { // a split backward: B, then W
            t.weightGradient = stage.seconds[kW] / stage.count[kW];
            t.backward = stage.seconds[kB] / stage.count[kB] + t.weightGradient;
        } else if (stage.count[kB] > 0) {
            t.backward = stage.seconds[kB] / stage.count[kB];
        }
        if (stage.count[kU] > 0)
            t.update = stage.seconds[kU] / sums.miniBatches;
        if (stage.count[kAllReduce] > 0)
            t.allReduce = stage.seconds[kAllReduce] / sums.miniBatches;
    }
    return predicted;
}

double medianOf(std::vector<double> values)
{
    const size_t n = values.size();
    std::nth_element(values.begin(), values.begin() + std::ptrdiff_t(n / 2), values.end());
    const double upper = values[n / 2];
    if (n % 2 == 1)
        return upper;
    return 0.5 * (*std::max_element(values.begin(), values.begin() + std::ptrdiff_t(n / 2)) + upper);
}

// One stage's action durations from `fromMiniBatch` on, seconds: one entry per
// F (the gather taken out of each mini-batch's first) and per B, and per
// mini-batch the sum of its U and of its all-reduce events.
struct StageDurations {
    std::vector<double> forward, backward, weightGradient; // backward: B alone where a W follows
    std::map<int, double> updatePerMiniBatch, allReducePerMiniBatch;
};

// Each stage's typical times: the median of each kind of duration, so that a
// stretch in which the machine ran slow (docs/BENCHMARKS.md: on the shared dev
// VMs a stage's actions take 1.5 … 1.9 × as long for some 100 ms at a time)
// does not set the costs of every later prediction, as it does in a mean.
// A stage with no event of a kind keeps `predicted`'s time.
std::vector<StageTimes> typicalStageTimes(const Timeline& timeline, std::vector<StageTimes> predicted,
                                          int fromMiniBatch)
{
    std::vector<StageDurations> stages(predicted.size());
    std::vector<std::set<int>> gathered(predicted.size()); // mini-batches whose first F each stage has seen
    for (const TimelineEvent& event : timeline.events) {
        if (event.miniBatch < fromMiniBatch || event.stage < 0 || size_t(event.stage) >= stages.size())
            continue;
        const size_t s = size_t(event.stage);
        const double seconds = event.end - event.start;
        switch (event.kind) {
        case ActionKind::Forward: {
            const bool first = gathered[s].insert(event.miniBatch).second; // events are in the order played
            stages[s].forward.push_back(std::max(0.0, seconds - (first ? predicted[s].prepareInput : 0.0)));
            break;
        }
        case ActionKind::Backward:
            stages[s].backward.push_back(seconds);
            break;
        case ActionKind::WeightGradient:
            stages[s].weightGradient.push_back(seconds);
            break;
        case ActionKind::Recompute: // a forward again: F's events time it
            break;
        case ActionKind::Update:
            stages[s].updatePerMiniBatch[event.miniBatch] += seconds;
            break;
        default:
            stages[s].allReducePerMiniBatch[event.miniBatch] += seconds;
            break;
        }
    }
    auto medianOfMiniBatches = [](const std::map<int, double>& perMiniBatch) {
        std::vector<double> values;
        for (const auto& [miniBatch, seconds] : perMiniBatch)
            values.push_back(seconds);
        return medianOf(std::move(values));
    };
    for (size_t s = 0; s < predicted.size(); ++s) {
        const StageDurations& stage = stages[s];
        StageTimes& t = predicted[s];
        if (!stage.forward.empty())
            t.forward = medianOf(stage.forward);
        if (!stage.backward.empty() && !stage.weightGradient.empty()) { // a split backward: B, then W
            t.weightGradient = medianOf(stage.weightGradient);
            t.backward = medianOf(stage.backward) + t.weightGradient;
        } else if (!stage.backward.empty()) {
            t.backward = medianOf(stage.backward);
        }
        if (!stage.updatePerMiniBatch.empty())
            t.update = medianOfMiniBatches(stage.updatePerMiniBatch);
        if (!stage.allReducePerMiniBatch.empty())
            t.allReduce = medianOfMiniBatches(stage.allReducePerMiniBatch);
    }
    return predicted;
}

double ratio(double measured, double predicted)
{
    return predicted > 0.0 && measured > 0.0 ? measured / predicted : 1.0;
}

} // namespace

std::vector<StageTimes> measuredStageTimes(const Timeline& timeline, std::vector<StageTimes> predicted,
                                           int fromMiniBatch)
{
    const TimelineSums sums = sumActions(timeline, predicted.size(), fromMiniBatch);
    return stageTimesFromSums(sums, std::move(predicted));
}

int firstWarmMiniBatch(const Timeline& measured)
{
    int miniBatches = 0;
    for (const TimelineEvent& event : measured.events)
        miniBatches = std::max(miniBatches, event.miniBatch + 1);
    return miniBatches > 1 ? 1 : 0;
}

ModelCosts calibrateCosts(const Plan& plan, const Timeline& measured, int fromMiniBatch, CalibrationStatistic statistic)
{
    const std::vector<StageTimes> predicted = stageTimesFor(plan); // validates the plan
    const TimelineSums sums = sumActions(measured, predicted.size(), fromMiniBatch);
    for (size_t s = 0; s < sums.stages.size(); ++s)
        if (sums.stages[s].count[kF] == 0 || sums.stages[s].count[kB] == 0)
            throw InvalidArgument("calibration: stage " + std::to_string(s) + " has no measured forward and backward"
                                  + " from mini-batch " + std::to_string(fromMiniBatch) + " on");
    const std::vector<StageTimes> times = statistic == CalibrationStatistic::Median
                                              ? typicalStageTimes(measured, predicted, fromMiniBatch)
                                              : stageTimesFromSums(sums, predicted);

    ModelCosts costs = plan.costs;
    const bool updateRateExchanges = scheduleTraits(plan.schedule).replicated && replicasShareHostMemory(plan);
    for (DeviceCosts& device : costs.devices) {
        // Per unit: the largest ratio of the stages on this device that hold it (0: none does).
        std::vector<double> forwardRatios(device.units.size(), 0.0), backwardRatios(device.units.size(), 0.0);
        double update = 0.0;
        std::string stageRatios;
        for (size_t s = 0; s < plan.stages.size(); ++s) {
            const PlannedStage& stage = plan.stages[s];
            if (plan.devices[size_t(stage.device)].costsDevice != device.device)
                continue;
            const double forward = ratio(times[s].forward, predicted[s].forward);
            const double backward = ratio(times[s].backward, predicted[s].backward);
            for (int u = stage.first; u <= stage.last; ++u) {
                forwardRatios[size_t(u)] = std::max(forwardRatios[size_t(u)], forward);
                backwardRatios[size_t(u)] = std::max(backwardRatios[size_t(u)], backward);
            }
            // On host memory dp's exchange runs at the update's rate (prediction.cpp), so it calibrates it too.
            update =
                std::max(update, ratio(times[s].update + (updateRateExchanges ? times[s].allReduce : 0.0),
                                       predicted[s].update + (updateRateExchanges ? predicted[s].allReduce : 0.0)));
            char text[64];
            std::snprintf(text, sizeof text, "%s%.2f/%.2f", stageRatios.empty() ? "" : ", ", forward, backward);
            stageRatios += text;
        }
        if (stageRatios.empty())
            continue; // no stage on this kind of device
        for (size_t u = 0; u < device.units.size(); ++u) {
            if (forwardRatios[u] == 0.0)
                continue;
            device.units[u].forwardSeconds *= forwardRatios[u];
            device.units[u].backwardSeconds *= backwardRatios[u];
        }
        device.updateSecondsPerParameter *= update;
        device.calibratedOn = plan.schedule;
        char text[64];
        std::snprintf(text, sizeof text, "; update ×%.2f)", update);
        device.source += "; calibrated on a measured " + plan.schedule + " run on " + plan.deviceSpec
                         + " (forward/backward ×" + stageRatios + " per stage" + text;
    }
    return costs;
}

} // namespace lpm
