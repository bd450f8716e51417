// Every tensor's shape in an ONNX model at one concrete batch size. ONNX's
// own shape inference stops at the reshapes PyTorch computes at run time
// (Shape -> Gather -> Div -> Concat -> Reshape, Range for positions), so
// this folds that integer shape arithmetic into constants and infers again,
// until nothing more folds. Built only with libonnx (onnx_reader.cpp uses it).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lpm {

struct StaticShape {
    bool rankKnown = false;
    std::vector<int64_t> dims; // -1 where even this pass left a dimension unknown
    int32_t elementType = 0;   // onnx::TensorProto_DataType
    // An integer tensor's values where the shape arithmetic folded them
    // (positions from a Range, slice bounds, a head's width), row-major.
    bool valueKnown = false;
    std::vector<int64_t> value;
};

// The shapes of `model`'s tensors (initializers, inputs, node outputs) with
// each of `dataInputs` given batch size `batch` in its first dimension.
// Throws std::exception (from libonnx) when the graph fails inference.
std::map<std::string, StaticShape> inferStaticShapes(const onnx::ModelProto& model,
                                                     const std::vector<std::string>& dataInputs, int64_t batch);

} // namespace lpm
