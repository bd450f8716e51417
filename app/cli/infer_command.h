// `lpm infer`: a model's forward (evaluation mode) over a NumPy array of
// samples, written as a NumPy array of outputs, to compare with PyTorch's.
#pragma once

#include <CLI/CLI.hpp>

namespace lpm::cli {

void addInferCommand(CLI::App& app);

} // namespace lpm::cli
