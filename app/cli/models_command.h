// `lpm models`: the model zoo (or an ONNX file's units) with per-unit figures.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "nn/model_outline.h"

namespace lpm::cli {

void addModelsCommand(CLI::App& app);

// The unit table of `lpm models` (and `lpm import`), on stdout.
void printModelOutline(const ModelOutline& model);
// The same figures as JSON: {"name", "units": [...]}.
nlohmann::json modelOutlineJson(const ModelOutline& model);

} // namespace lpm::cli
