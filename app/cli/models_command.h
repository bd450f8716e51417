// `lpm models`: the model zoo with per-unit figures.
#pragma once

#include <CLI/CLI.hpp>

namespace lpm::cli {

void addModelsCommand(CLI::App& app);

} // namespace lpm::cli
