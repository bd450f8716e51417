// `lpm generate`: text from a language model's checkpoint.
#pragma once

#include <CLI/CLI.hpp>

namespace lpm::cli {

void addGenerateCommand(CLI::App& app);

} // namespace lpm::cli
