// The ONNX writer (libonnx): a copy of the imported file's protobuf with new
// initializer values.
#include "graph/onnx_writer.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <set>

#include "io/atomic_file.h"
#include "io/whole_file.h"
#include "tensor/error.h"

namespace lpm {

namespace {

void setValues(onnx::TensorProto& tensor, const std::string& name, const std::vector<int64_t>& dims,
               const std::vector<float>& values)
{
    tensor.Clear();
    tensor.set_name(name);
    tensor.set_data_type(onnx::TensorProto_DataType_FLOAT);
    for (int64_t dim : dims)
        tensor.add_dims(dim);
    std::string bytes(values.size() * sizeof(float), '\0'); // little-endian, as ONNX stores raw data
    std::memcpy(bytes.data(), values.data(), bytes.size());
    tensor.set_raw_data(std::move(bytes));
}

int64_t countOf(const std::vector<int64_t>& dims)
{
    int64_t count = 1;
    for (int64_t dim : dims)
        count *= dim;
    return count;
}

std::vector<int64_t> dimsOf(const onnx::TensorProto& tensor)
{
    return {tensor.dims().begin(), tensor.dims().end()};
}

// The extents of a weight written by an Identity or Transpose of the
// initializer `source` (Transpose permutes them by its perm, reversing when
// it has none).
std::vector<int64_t> aliasDims(const onnx::NodeProto& node, const std::vector<int64_t>& source)
{
    if (node.op_type() == "Identity")
        return source;
    std::vector<int64_t> perm;
    for (const onnx::AttributeProto& attribute : node.attribute())
        if (attribute.name() == "perm")
            perm.assign(attribute.ints().begin(), attribute.ints().end());
    if (perm.empty())
        for (size_t axis = source.size(); axis-- > 0;)
            perm.push_back(int64_t(axis));
    std::vector<int64_t> dims;
    for (int64_t axis : perm)
        dims.push_back(axis >= 0 && size_t(axis) < source.size() ? source[size_t(axis)] : -1);
    return dims;
}

} // namespace

void writeOnnxWithWeights(const std::string& source, const std::map<std::string, ExportedTensor>& tensors,
                          const std::string& out)
{
    onnx::ModelProto model;
    if (!model.ParseFromString(readWholeFile(source, "ONNX model")))
        throw FileError(source + ": not an ONNX model (the protobuf does not parse)");
    onnx::GraphProto& graph = *model.mutable_graph();
    std::set<std::string> written;
    auto check = [&](const std::string& name, const std::vector<int64_t>& dims, const ExportedTensor& tensor) {
        if (countOf(dims) != int64_t(tensor.values.size()))
            throw InvalidArgument(source + ": tensor '" + name + "' holds " + std::to_string(countOf(dims))
                                  + " values in the file, the trained model " + std::to_string(tensor.values.size()));
    };
    std::map<std::string, std::vector<int64_t>> initializerDims;
    for (onnx::TensorProto& initializer : *graph.mutable_initializer()) {
        initializerDims[initializer.name()] = dimsOf(initializer);
        const auto found = tensors.find(initializer.name());
        if (found == tensors.end())
            continue;
        const std::vector<int64_t> dims = dimsOf(initializer);
        check(found->first, dims, found->second);
        setValues(initializer, found->first, dims, found->second.values);
        written.insert(found->first);
    }
    // Weights written by an Identity or Transpose of an initializer: the
    // node goes, and its output becomes an initializer of its own.
    google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
    for (const onnx::NodeProto& node : graph.node()) {
        const bool alias = (node.op_type() == "Identity" || node.op_type() == "Transpose") && node.input_size() == 1
                           && node.output_size() == 1 && tensors.count(node.output(0)) && !written.count(node.output(0))
                           && initializerDims.count(node.input(0));
        if (!alias) {
            *kept.Add() = node;
            continue;
        }
        const ExportedTensor& tensor = tensors.at(node.output(0));
        const std::vector<int64_t> dims = aliasDims(node, initializerDims.at(node.input(0)));
        check(node.output(0), dims, tensor);
        setValues(*graph.add_initializer(), node.output(0), dims, tensor.values);
        written.insert(node.output(0));
    }
    graph.mutable_node()->Swap(&kept);
    // Weights exported without values (static-shape inputs) get them.
    for (const onnx::ValueInfoProto& input : graph.input()) {
        const auto found = tensors.find(input.name());
        if (found == tensors.end() || written.count(input.name()))
            continue;
        std::vector<int64_t> dims;
        for (const onnx::TensorShapeProto_Dimension& dim : input.type().tensor_type().shape().dim())
            dims.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
        check(input.name(), dims, found->second);
        setValues(*graph.add_initializer(), input.name(), dims, found->second.values);
        written.insert(input.name());
    }
    for (const auto& [name, tensor] : tensors)
        if (!written.count(name))
            throw InvalidArgument(source + ": the trained model's tensor '" + name
                                  + "' is neither an initializer, a weight input nor an alias of one in the file");
    std::string bytes;
    if (!model.SerializeToString(&bytes))
        throw FileError(out + ": the ONNX model could not be serialised");
    writeFileAtomically(out, bytes);
}

} // namespace lpm
