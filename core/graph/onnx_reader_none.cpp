// The ONNX reader and writer of a build without libonnx-dev: they say what
// is missing.
#include "graph/onnx_reader.h"
#include "graph/onnx_writer.h"

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

void writeOnnxWithWeights(const std::string& source, const std::map<std::string, ExportedTensor>&, const std::string&)
{
    readOnnxGraph(source); // says what is missing
}

} // namespace lpm
