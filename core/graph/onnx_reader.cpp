#include "graph/onnx_reader.h"

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <set>

#include "graph/onnx_static_shapes.h"
#include "io/whole_file.h"
#include "tensor/error.h"

namespace lpm {

namespace {

// Bytes per element of an ONNX TensorProto data type; 0 for strings and
// types we do not size.
int elementBytesOf(int32_t type)
{
    switch (type) {
    case onnx::TensorProto_DataType_BOOL:
    case onnx::TensorProto_DataType_INT8:
    case onnx::TensorProto_DataType_UINT8:
        return 1;
    case onnx::TensorProto_DataType_INT16:
    case onnx::TensorProto_DataType_UINT16:
    case onnx::TensorProto_DataType_FLOAT16:
    case onnx::TensorProto_DataType_BFLOAT16:
        return 2;
    case onnx::TensorProto_DataType_FLOAT:
    case onnx::TensorProto_DataType_INT32:
    case onnx::TensorProto_DataType_UINT32:
        return 4;
    case onnx::TensorProto_DataType_DOUBLE:
    case onnx::TensorProto_DataType_INT64:
    case onnx::TensorProto_DataType_UINT64:
        return 8;
    default:
        return 0;
    }
}

// A float initializer's values (raw little-endian bytes or float_data);
// throws FileError when their count is not the product of its dimensions.
std::shared_ptr<const std::vector<float>> floatValues(const onnx::TensorProto& tensor, const std::string& path)
{
    if (tensor.data_location() == onnx::TensorProto_DataLocation_EXTERNAL)
        throw FileError(path + ": initializer '" + tensor.name()
                        + "' is stored in an external file, which this importer does not read yet");
    uint64_t count = 1;
    for (int64_t dim : tensor.dims())
        if (dim < 0 || __builtin_mul_overflow(count, uint64_t(dim), &count))
            throw FileError(path + ": initializer '" + tensor.name() + "' has an impossible shape");
    auto values = std::make_shared<std::vector<float>>();
    const std::string& raw = tensor.raw_data();
    if (!raw.empty() || tensor.float_data_size() == 0) {
        if (raw.size() / sizeof(float) != count || raw.size() % sizeof(float) != 0)
            throw FileError(path + ": initializer '" + tensor.name() + "' holds " + std::to_string(raw.size())
                            + " bytes for " + std::to_string(count) + " floats");
        values->resize(size_t(count));
        std::memcpy(values->data(), raw.data(), raw.size());
    } else {
        if (uint64_t(tensor.float_data_size()) != count)
            throw FileError(path + ": initializer '" + tensor.name() + "' holds "
                            + std::to_string(tensor.float_data_size()) + " floats for " + std::to_string(count));
        values->assign(tensor.float_data().begin(), tensor.float_data().end());
    }
    return values;
}

bool isFloatType(int32_t type)
{
    return type == onnx::TensorProto_DataType_FLOAT || type == onnx::TensorProto_DataType_DOUBLE
           || type == onnx::TensorProto_DataType_FLOAT16 || type == onnx::TensorProto_DataType_BFLOAT16;
}

// A value_info's tensor type: its element type and, where known, its
// dimensions (a symbolic one unknown).
GraphTensor tensorFromValueInfo(const onnx::ValueInfoProto& info)
{
    GraphTensor tensor;
    tensor.name = info.name();
    if (!info.type().has_tensor_type())
        return tensor;
    const onnx::TypeProto_Tensor& type = info.type().tensor_type();
    tensor.elementBytes = elementBytesOf(type.elem_type());
    tensor.isFloat = isFloatType(type.elem_type());
    if (!type.has_shape())
        return tensor;
    tensor.rankKnown = true;
    for (const onnx::TensorShapeProto_Dimension& dim : type.shape().dim()) {
        if (dim.has_dim_value())
            tensor.dims.push_back(dim.dim_value());
        else
            tensor.dims.push_back(GraphTensor::kUnknownDimension);
    }
    return tensor;
}

bool hasStaticShape(const onnx::ValueInfoProto& info)
{
    if (!info.type().has_tensor_type() || !info.type().tensor_type().has_shape())
        return false;
    for (const onnx::TensorShapeProto_Dimension& dim : info.type().tensor_type().shape().dim())
        if (!dim.has_dim_value())
            return false;
    return true;
}

std::string firstDimensionSymbol(const onnx::ValueInfoProto& info)
{
    if (!info.type().has_tensor_type() || !info.type().tensor_type().has_shape()
        || info.type().tensor_type().shape().dim_size() == 0)
        return {};
    const onnx::TensorShapeProto_Dimension& first = info.type().tensor_type().shape().dim(0);
    return first.has_dim_param() ? first.dim_param() : std::string();
}

int64_t defaultDomainOpset(const onnx::ModelProto& model, const std::string& path)
{
    for (const onnx::OperatorSetIdProto& entry : model.opset_import())
        if (entry.domain().empty() || entry.domain() == "ai.onnx")
            return entry.version();
    throw FileError(path + ": imports no opset of the default ONNX domain");
}

} // namespace

bool onnxImportAvailable()
{
    return true;
}

Graph readOnnxGraph(const std::string& path)
{
    const std::string bytes = readWholeFile(path, "ONNX model");
    onnx::ModelProto model;
    if (!model.ParseFromString(bytes))
        throw FileError(path + ": not an ONNX model (the protobuf does not parse: a truncated or foreign file)");
    if (!model.has_graph() || (model.graph().node_size() == 0 && model.graph().input_size() == 0))
        throw FileError(path + ": holds no graph (an empty or foreign file)");

    Graph graph;
    graph.source = path;
    graph.opset = defaultDomainOpset(model, path);
    const int64_t newest = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map().at(onnx::ONNX_DOMAIN).second;
    if (graph.opset < kMinimumOnnxOpset || graph.opset > newest)
        throw FileError(path + ": opset " + std::to_string(graph.opset) + " of the default domain is not supported ("
                        + std::to_string(kMinimumOnnxOpset) + " to " + std::to_string(newest)
                        + " are; re-export with opset_version in that range)");

    const onnx::GraphProto& proto = model.graph();
    std::set<std::string> initializers;
    for (const onnx::TensorProto& initializer : proto.initializer())
        initializers.insert(initializer.name());

    // Data inputs: the graph inputs that are not initializers and whose shape
    // is not fully static; an input with a static shape is a weight exported
    // without its values (export_params=False).
    for (const onnx::ValueInfoProto& input : proto.input()) {
        if (initializers.count(input.name()) || hasStaticShape(input))
            continue;
        if (firstDimensionSymbol(input).empty())
            throw FileError(path + ": input '" + input.name()
                            + "' has no symbolic batch dimension first (export with dynamic_axes={'" + input.name()
                            + "': {0: 'batch'}})");
        graph.dataInputs.push_back(input.name());
    }
    if (graph.dataInputs.empty()) {
        std::string shape;
        if (proto.input_size() > 0) {
            const onnx::ValueInfoProto& first = proto.input(0);
            shape = " (its input '" + first.name() + "' has the static shape "
                    + formatGraphShape(tensorFromValueInfo(first)) + ")";
        }
        throw FileError(path + ": no input has a batch dimension" + shape
                        + "; export with dynamic_axes={'input': {0: 'batch'}}");
    }

    // Shapes at batch 2 and at batch 3: a dimension that grows from 2 to 3
    // is the batch, and a tensor's growth is its size per sample.
    std::map<std::string, StaticShape> atTwo, atThree;
    try {
        atTwo = inferStaticShapes(model, graph.dataInputs, 2);
        atThree = inferStaticShapes(model, graph.dataInputs, 3);
    } catch (const std::exception& error) {
        throw FileError(path + ": shape inference failed: " + error.what());
    }
    for (const auto& [name, two] : atTwo) {
        GraphTensor tensor;
        tensor.name = name;
        tensor.elementBytes = elementBytesOf(two.elementType);
        tensor.isFloat = isFloatType(two.elementType);
        const auto three = atThree.find(name);
        if (two.rankKnown && three != atThree.end() && three->second.rankKnown
            && three->second.dims.size() == two.dims.size()) {
            tensor.rankKnown = true;
            int64_t elementsAtTwo = 1, elementsAtThree = 1;
            for (size_t axis = 0; axis < two.dims.size(); ++axis) {
                const int64_t small = two.dims[axis], large = three->second.dims[axis];
                tensor.dims.push_back(small < 0 || large < 0     ? GraphTensor::kUnknownDimension
                                      : small == large           ? small
                                      : small == 2 && large == 3 ? GraphTensor::kBatchDimension
                                                                 : GraphTensor::kUnknownDimension);
                if (small < 0 || elementsAtTwo < 0 || __builtin_mul_overflow(elementsAtTwo, small, &elementsAtTwo))
                    elementsAtTwo = -1;
                if (large < 0 || elementsAtThree < 0
                    || __builtin_mul_overflow(elementsAtThree, large, &elementsAtThree))
                    elementsAtThree = -1;
            }
            if (elementsAtTwo >= 0 && elementsAtThree >= elementsAtTwo)
                tensor.sampleElements = elementsAtThree - elementsAtTwo;
        }
        tensor.isWeight = initializers.count(name) > 0;
        graph.tensors[name] = tensor;
        // Folded integers that do not depend on the batch are constants.
        if (two.valueKnown && three != atThree.end() && three->second.valueKnown && two.value == three->second.value)
            graph.integerValues[name] = two.value;
    }
    for (const onnx::ValueInfoProto& input : proto.input())
        if (!initializers.count(input.name()) && hasStaticShape(input)) {
            GraphTensor& tensor = graph.tensors[input.name()];
            tensor.name = input.name();
            tensor.isWeight = true;
        }
    for (const onnx::TensorProto& initializer : proto.initializer()) {
        GraphTensor& tensor = graph.tensors[initializer.name()];
        tensor.name = initializer.name();
        tensor.rankKnown = true;
        tensor.dims.assign(initializer.dims().begin(), initializer.dims().end());
        tensor.elementBytes = elementBytesOf(initializer.data_type());
        tensor.isFloat = isFloatType(initializer.data_type());
        tensor.isWeight = true;
        graph.weightsInFile = graph.weightsInFile || tensor.isFloat;
        if (initializer.data_type() == onnx::TensorProto_DataType_FLOAT)
            graph.weightValues[initializer.name()] = floatValues(initializer, path);
    }
    for (const onnx::ValueInfoProto& output : proto.output())
        graph.outputs.push_back(output.name());

    for (int index = 0; index < proto.node_size(); ++index) {
        const onnx::NodeProto& proto_node = proto.node(index);
        GraphNode node;
        node.op = proto_node.op_type();
        node.domain = proto_node.domain() == "ai.onnx" ? std::string() : proto_node.domain();
        node.name = proto_node.name().empty() ? node.op + "_" + std::to_string(index) : proto_node.name();
        node.inputs.assign(proto_node.input().begin(), proto_node.input().end());
        node.outputs.assign(proto_node.output().begin(), proto_node.output().end());
        for (const onnx::AttributeProto& attribute : proto_node.attribute()) {
            if (attribute.type() == onnx::AttributeProto_AttributeType_INT)
                node.intAttributes[attribute.name()] = {attribute.i()};
            else if (attribute.type() == onnx::AttributeProto_AttributeType_INTS)
                node.intAttributes[attribute.name()].assign(attribute.ints().begin(), attribute.ints().end());
            else if (attribute.type() == onnx::AttributeProto_AttributeType_FLOAT)
                node.floatAttributes[attribute.name()] = attribute.f();
        }
        // A float Constant's values (a scalar of a formula: GELU's 1/√2, a Clip bound).
        if (node.op == "Constant" && node.domain.empty() && node.outputs.size() == 1)
            for (const onnx::AttributeProto& attribute : proto_node.attribute()) {
                if (attribute.name() == "value" && attribute.has_t()
                    && attribute.t().data_type() == onnx::TensorProto_DataType_FLOAT)
                    graph.weightValues[node.outputs[0]] = floatValues(attribute.t(), path);
                else if (attribute.name() == "value_float")
                    graph.weightValues[node.outputs[0]] = std::make_shared<std::vector<float>>(1, attribute.f());
            }
        for (const std::string& output : node.outputs)
            if (!output.empty() && !graph.tensors.count(output))
                graph.tensors[output].name = output; // shape unknown
        graph.nodes.push_back(std::move(node));
    }
    return graph;
}

} // namespace lpm
