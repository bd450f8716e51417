// A computation graph as plain values: what the ONNX reader (onnx_reader.h)
// keeps of a model file, and all that the merging into units
// (graph_units.h) and the cost estimates (op_costs.h) read. No protobuf
// here, so that those parts build and are tested without libonnx.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lpm {

// What is known of one tensor. Dimensions are as shape inference left them:
// kBatchDimension for the symbolic batch, kUnknownDimension where nothing is
// known; `rankKnown` is false when not even the rank is.
struct GraphTensor {
    static constexpr int64_t kBatchDimension = -1;
    static constexpr int64_t kUnknownDimension = -2;

    std::string name;
    std::vector<int64_t> dims;
    bool rankKnown = false;
    int elementBytes = 4;  // 4 for float, 8 for int64, ...
    bool isFloat = true;   // float, double or half: what training updates
    bool isWeight = false; // an initializer, or an input with a fully static shape (weights not exported)
    // Elements per sample where the reader measured it (the growth of the
    // tensor from batch 2 to batch 3, right also where a reshape folded the
    // batch into another dimension); -1 to count them from `dims`.
    int64_t sampleElements = -1;
};

struct GraphNode {
    std::string name;                // the file's node name, or "<op>_<index>" where it has none
    std::string op;                  // the ONNX op type, e.g. "Conv"
    std::string domain;              // empty for the default ONNX domain
    std::vector<std::string> inputs; // tensor names; an empty name is an absent optional input
    std::vector<std::string> outputs;
    std::map<std::string, std::vector<int64_t>> intAttributes; // e.g. kernel_shape, strides, group
    std::map<std::string, float> floatAttributes;              // e.g. epsilon, momentum, alpha
};

struct Graph {
    std::string source;                         // the file, for messages
    int64_t opset = 0;                          // the default domain's version
    std::vector<GraphNode> nodes;               // in file order
    std::vector<std::string> dataInputs;        // graph inputs that are neither initializers nor weights
    std::vector<std::string> outputs;           // graph outputs
    std::map<std::string, GraphTensor> tensors; // every named tensor, with what is known of it
    bool weightsInFile = false;                 // at least one float initializer holds values
    // The values of the 32-bit float initializers, as stored (what training
    // starts from), and of float Constant nodes' outputs (fixed).
    std::map<std::string, std::shared_ptr<const std::vector<float>>> weightValues;
    // Integer tensors the shape arithmetic folded to the same values at any
    // batch (positions from a Range, slice bounds, split sizes).
    std::map<std::string, std::vector<int64_t>> integerValues;

    // Null when the graph has no tensor of that name.
    const GraphTensor* find(const std::string& name) const;
};

// Elements of one sample of `tensor` (its batch dimension, wherever a
// transpose put it, left out), or -1 when another dimension is unknown (or
// the count overflows: a file may state any dimensions).
int64_t elementsPerSample(const GraphTensor& tensor);

// Elements of the whole tensor (a weight's), or -1 when a dimension is not static.
int64_t staticElements(const GraphTensor& tensor);

// "(batch, 3, 224, 224)", "(?, 64)" or "(unknown)".
std::string formatGraphShape(const GraphTensor& tensor);

} // namespace lpm
