// What a plan could gain, and from what (issue 18): the speedup ceiling of a
// layer-wise cut of its model on its devices (plan/speedup_ceiling.h defines
// it), the unit, link or stage that sets the ceiling, and, when another of
// our schedules is predicted clearly faster on the same devices, that
// schedule as a suggestion. Pure functions of values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "plan/speedup_ceiling.h"
#include "sim/prediction.h"

namespace lpm {

// A suggestion's predicted iteration time must be at most (1 − this) times
// the plan's: 10 % faster, well beyond the simulator's rounding and the
// differences between our schedules' fills and drains.
inline constexpr double kSuggestionMinimumGain = 0.10;

// A layer-wise cut "cannot pay" when its ceiling is under this share of the
// plan's device count (1.5x on two devices): then one unit or link holds the
// pipeline back, whatever the schedule, and only replicating the model (dp)
// gets past it. Where a cut pays, dp is not suggested: a pipeline that keeps
// near its ceiling is the method working, and dp is one more copy of the
// model per device.
inline constexpr double kCutPaysShareOfDevices = 0.75;
bool cutCannotPay(const Plan& plan, const SpeedupCeiling& ceiling);

// The schedules a suggestion chooses from: each is cut by the plan's
// partitioner as `lpm plan` would (partitionPlanPredicted), dp replicates.
// For a plan whose weights are never stale, only schedules whose are not
// either: lpm-async is never offered in exchange (dp, equal to sequential to
// rounding, is, where the cut cannot pay).
const std::vector<std::string>& suggestionCandidates();

struct ScheduleSuggestion {
    std::string schedule;
    double iterationSeconds = 0.0; // predicted steady-state period of one mini-batch
    double speedup = 0.0;          // over sequential on the fastest device (Prediction::speedup)
};

struct PlanAdvice {
    SpeedupCeiling ceiling;
    std::string bottleneck; // one line naming the unit, the link or the stage (describeBottleneck)
    std::optional<ScheduleSuggestion> suggestion;
};

// The ceiling of the plan's partitioning problem (partitionProblemFor): its
// model on every device the plan offers, at its micro-batch size.
SpeedupCeiling estimateSpeedupCeiling(const Plan& plan);

// One line for the ceiling's bottleneck, with the plan's device labels and,
// when given (one per unit, e.g. from labelUnits), the units' labels:
//   "unit 3 Conv2d #2 (5x5, 16->32): 64% of the work"
//   "link cpu:0 -> cpu:1 at the cut after unit 2: 0.085 ms of transfers per micro-batch"
//   "stage 1 (units 4-9 on cpu:1): the units do not divide more evenly"
//   "none: the work divides evenly over 2 devices"
std::string describeBottleneck(const Plan& plan, const SpeedupCeiling& ceiling,
                               const std::vector<std::string>& unitLabels = {});

// The candidate other than the plan's own schedule with the shortest predicted
// iteration, whatever its gain; candidates that cannot be planned (memory)
// are skipped, and so are lpm-async for an exact schedule and dp where the
// cut pays (cutCannotPay). It does not depend on the plan's cut, only on its
// settings, devices and costs (each candidate is cut anew).
std::optional<ScheduleSuggestion> predictFastestOtherSchedule(const Plan& plan);

// `fastest` when its predicted iteration is at most
// (1 − kSuggestionMinimumGain) · planIterationSeconds, else nothing.
std::optional<ScheduleSuggestion> suggestSchedule(const std::optional<ScheduleSuggestion>& fastest,
                                                  double planIterationSeconds);
// The same for the plan's fastest other schedule (predictFastestOtherSchedule).
std::optional<ScheduleSuggestion> suggestSchedule(const Plan& plan, double planIterationSeconds);

// All three for a plan and its prediction (predictPlan(plan)).
PlanAdvice advisePlan(const Plan& plan, const Prediction& prediction, const std::vector<std::string>& unitLabels = {});

} // namespace lpm
