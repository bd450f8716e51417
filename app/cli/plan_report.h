// How `lpm plan` and `lpm simulate` show a plan and its prediction: a
// per-stage table, one line of metrics and the plan's advice (its speedup
// ceiling, bottleneck and any better schedule) on stdout, and the same
// figures as JSON for --json. `lpm train` prints the advice before it trains.
#pragma once

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "plan/plan.h"
#include "sim/plan_advice.h"
#include "sim/prediction.h"
#include "sim/schedule_choice.h"

namespace lpm::cli {

// advisePlan with the units labelled as the zoo model's (labelUnits); plain
// "unit N" for a model the zoo does not have.
PlanAdvice advisePlanOfZooModel(const Plan& plan, const Prediction& prediction);

void printPlanReport(const Plan& plan, const Prediction& prediction, const PlanAdvice& advice);

// Two lines (one without a suggestion): the ceiling and its bottleneck, then the
// suggested schedule with its predicted speedup and the option that applies it.
void printPlanAdvice(std::FILE* out, const Plan& plan, const PlanAdvice& advice);

// {"speedup_ceiling": number, "bottleneck": text,
//  "suggestion": {"schedule", "predicted_speedup", "predicted_iteration_ms"} or null}
nlohmann::json adviceJson(const PlanAdvice& advice);

// {"model", "devices", "partitioner", "schedule", "batch", "micro_batches",
//  "stages_used", "devices_offered", "predicted_iteration_ms",
//  "predicted_samples_per_second", "predicted_speedup", "sequential_device",
//  "sequential_ms", "bubble_fraction", "stages": [{...}]} and adviceJson's keys.
nlohmann::json predictionJson(const Plan& plan, const Prediction& prediction, const PlanAdvice& advice);

// `lpm plan --schedule auto`: one line per schedule (iteration, speedup,
// bubble, the largest stage's memory against its capacity, exact or not, and
// why one was not planned), the chosen one marked.
void printScheduleChoice(const ScheduleChoice& choice);

// [{"schedule", "exact", "fits", "predicted_iteration_ms", "predicted_speedup",
//   "bubble_fraction", "peak_memory_bytes": [per stage], "problem"}]
nlohmann::json scheduleCandidatesJson(const ScheduleChoice& choice);

// "1.5 GiB", "12.0 MiB", "512 B".
std::string formatBytes(int64_t bytes);

} // namespace lpm::cli
