// `lpm import PATH.onnx`: what the importer understood of an ONNX file.
#pragma once

#include <CLI/CLI.hpp>

namespace lpm::cli {

void addImportCommand(CLI::App& app);

} // namespace lpm::cli
