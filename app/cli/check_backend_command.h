// `lpm check-backend cuda`: every layer's backend calls on the GPU against the
// CPU reference, as a table of relative errors; non-zero exit above tolerance.
#pragma once

#include <CLI/CLI.hpp>

namespace lpm::cli {

void addCheckBackendCommand(CLI::App& app);

} // namespace lpm::cli
