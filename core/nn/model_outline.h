// A zoo model described as plain values: what `lpm models` prints and the
// GUI's network view draws, without building tensors in the caller.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/unit_cost.h"

namespace lpm {

struct UnitOutline {
    std::string kind;        // "Conv2d", "ResidualBlock", ...
    std::string description; // the layer's settings, e.g. "3x3, 1->16, stride 1"
    std::string outputShape; // one sample's output, e.g. "(16, 28, 28)"
    UnitCost cost;           // per sample
    // An imported unit's ONNX nodes that compute on activations, in the
    // order they run; empty for the zoo's units.
    std::vector<std::string> nodes = {};
};

struct ModelOutline {
    std::string name;
    std::string summary;     // the zoo's one-line summary
    std::string sampleShape; // one sample's input, e.g. "(1, 28, 28)"
    int64_t tokens = 0;      // a language model's context length (Model::tokens()); 0 for images
    std::vector<UnitOutline> units;

    double forwardFlops() const;    // per sample, all units
    int64_t parameterBytes() const; // all units
};

// Throws InvalidArgument naming the known models for an unknown name.
ModelOutline outlineModel(const std::string& name);

// One label per unit: its kind, its ordinal among the model's units of that
// kind, and its settings, e.g. "Conv2d #2 (3x3, 16->32, stride 1)".
std::vector<std::string> labelUnits(const ModelOutline& outline);

// The zoo's model names, in the zoo's order.
std::vector<std::string> zooModelNames();

} // namespace lpm
