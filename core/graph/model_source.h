// Models by name, wherever a zoo name is accepted: a zoo model's name, or the
// path of an ONNX file (a name ending in ".onnx"), imported and merged into
// units (graph_units.h). What the commands and the studio need of either,
// without tensors: an outline to show and costs to plan with.
#pragma once

#include <cstdint>
#include <string>

#include "graph/graph_units.h"
#include "nn/model_outline.h"
#include "plan/cost_model.h"

namespace lpm {

// True when `model` names an ONNX file rather than a zoo model.
bool isOnnxModelName(const std::string& model);

// Reads and merges an ONNX file (onnx_reader.h, graph_units.h).
ImportedModel importOnnxModel(const std::string& path);

// The units as the network view and `lpm models` show them.
ModelOutline outlineImportedModel(const ImportedModel& model);

// Per-sample unit costs for the planner, with no device times yet.
ModelCosts importedModelCosts(const ImportedModel& model, int64_t microBatchSize);

// Either kind, by name: throws InvalidArgument for an unknown zoo model and
// FileError for an ONNX file that does not import.
ModelOutline outlineAnyModel(const std::string& model);
ModelCosts describeAnyModelCosts(const std::string& model, int64_t microBatchSize);

// Why imported model `model` cannot be trained (nor so profiled on a CPU)
// yet (onnx_model_builder.h), or empty when it can; empty for a zoo name.
std::string whyNotTrainable(const std::string& model);

} // namespace lpm
