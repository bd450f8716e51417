// `lpm train`: the sequential trainer from the command line.
#pragma once

#include <CLI/CLI.hpp>

namespace lpm::cli {

// Adds the subcommand to `app`; it runs when parsed.
void addTrainCommand(CLI::App& app);

} // namespace lpm::cli
