// Helpers of the ONNX import tests (test_graph_units, test_onnx_import).
#pragma once

#include <string>
#include <vector>

#include "graph/graph_units.h"

namespace lpm {

// Every unit's kind, in chain order: "Conv", "Block", "LayerNormalization", ...
inline std::vector<std::string> kinds(const ImportedModel& model)
{
    std::vector<std::string> result;
    for (const GraphUnit& unit : model.units)
        result.push_back(unit.kind);
    return result;
}

} // namespace lpm
