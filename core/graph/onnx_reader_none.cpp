// The ONNX reader of a build without libonnx-dev: it says what is missing.
#include "graph/onnx_reader.h"

#include "tensor/error.h"

namespace lpm {

bool onnxImportAvailable()
{
    return false;
}

Graph readOnnxGraph(const std::string& path)
{
    throw InvalidArgument(path
                          + ": this build has no ONNX import (install the Debian package libonnx-dev and "
                            "configure again)");
}

} // namespace lpm
