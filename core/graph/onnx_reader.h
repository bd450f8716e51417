// Reads an ONNX model file into a Graph (graph.h), with every tensor's shape
// from ONNX's shape inference (data propagation on, so that the reshapes
// PyTorch computes from the batch size resolve); the first dimension of the
// data inputs is the symbolic batch.
#pragma once

#include <string>

#include "graph/graph.h"

namespace lpm {

// True when this build can read ONNX files (it found libonnx-dev).
bool onnxImportAvailable();

// Throws FileError naming `path` and the problem: the file cannot be read,
// is not an ONNX model (truncated, garbage, no graph), imports an opset of
// the default domain outside kMinimumOnnxOpset..the newest libonnx knows,
// fails shape inference, or has no data input with a symbolic batch
// dimension. (What the nodes read and the order they run in are checked
// when the graph becomes units: graph_units.h.) Throws
// InvalidArgument when this build has no ONNX support.
Graph readOnnxGraph(const std::string& path);

// Oldest default-domain opset the reader accepts (older ones changed the
// attributes of BatchNormalization, Dropout and the pools).
inline constexpr int64_t kMinimumOnnxOpset = 7;

} // namespace lpm
