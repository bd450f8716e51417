// Plans and costs as versioned JSON text, so a plan can be made on one
// machine, edited by hand and predicted or run on another. Text in, text out:
// reading and writing files is the caller's (io/atomic_file.h).
//
//   costs: {"format": "lpm-costs", "version": 1, "model", "micro_batch",
//           "input_bytes", "units": [{forward_flops, backward_flops,
//           parameter_bytes, output_bytes, saved_bytes, launches}], "devices": [{device,
//           source, update_seconds_per_parameter, input_seconds_per_sample,
//           forward_ms: [], backward_ms: [], calibrated_on (only when calibrated)}]}
//   plan:  {"format": "lpm-plan", "version": 1, "model", "devices_spec",
//           "partitioner", "schedule", "optimizer", "batch", "micro_batches",
//           "devices": [{label, costs, memory_bytes, shared_by, link_to_next:
//           {name, bandwidth_bytes_per_second, latency_us}}],
//           "stages": [{first, last, device}], "costs": {...}}
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "io/json_reader.h"
#include "plan/cost_model.h"
#include "plan/plan.h"

namespace lpm {

std::string costsToJson(const ModelCosts& costs);
std::string planToJson(const Plan& plan);

// Throw FileError starting with `source` (the file name) that names the field
// and what was expected for text that is not JSON, of another format or
// version, missing a field or holding the wrong type; and for values that
// fail validateModelCosts / validatePlan.
ModelCosts costsFromJson(const std::string& text, const std::string& source);
Plan planFromJson(const std::string& text, const std::string& source);

// The same, as a JSON value inside a larger document (design files): errors
// name the reader's source and path.
nlohmann::json planValue(const Plan& plan);
Plan readPlan(const JsonReader& root);

} // namespace lpm
