// Writes trained weights back into a copy of the ONNX file they were
// imported from (`lpm train --export-onnx`): importing the copy again gives
// the same weights, bit for bit.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nn/parameter_store.h"

namespace lpm {

// One tensor of the file with new values: its extents and floats.
struct ExportedTensor {
    std::vector<int64_t> dims;
    std::vector<float> values;
};

// Every slot of `store` imported from a file tensor (ParameterSlot and
// BufferSlot::importedFrom), with its current values, by that tensor's name.
// Throws InvalidArgument naming a trained parameter that has no file tensor
// (a Gemm's B stored untransposed, which the model holds transposed).
std::map<std::string, ExportedTensor> importedTensors(const ParameterStore& store);

// Writes `source` to `out` (atomically) with each of `tensors` as an
// initializer: an initializer of that name is overwritten; a weight the
// file passes through an Identity or Transpose node (PyTorch's shared
// initial values) becomes an initializer of its own, and the node goes; a
// weight exported without values (a static-shape input) gets them. Throws
// FileError naming the file when `source` does not read or `out` does not
// write, and InvalidArgument when this build has no ONNX support.
void writeOnnxWithWeights(const std::string& source, const std::map<std::string, ExportedTensor>& tensors,
                          const std::string& out);

} // namespace lpm
