// How `lpm plan` and `lpm simulate` show a plan and its prediction: a
// per-stage table and one line of metrics on stdout, and the same figures as
// JSON for --json.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "plan/plan.h"
#include "sim/prediction.h"

namespace lpm::cli {

void printPlanReport(const Plan& plan, const Prediction& prediction);

// {"model", "devices", "partitioner", "schedule", "batch", "micro_batches",
//  "stages_used", "devices_offered", "predicted_iteration_ms",
//  "predicted_samples_per_second", "predicted_speedup", "sequential_device",
//  "sequential_ms", "bubble_fraction", "stages": [{...}]}
nlohmann::json predictionJson(const Plan& plan, const Prediction& prediction);


// "1.5 GiB", "12.0 MiB", "512 B".
std::string formatBytes(int64_t bytes);

} // namespace lpm::cli
