#include "graph/onnx_static_shapes.h"

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>

namespace lpm {

namespace {

// A small integer tensor's value: shape arithmetic, indices, axes.
struct IntValue {
    std::vector<int64_t> dims;
    std::vector<int64_t> data;
};

// Larger integer tensors are not shape arithmetic: they are left alone.
constexpr size_t kMaxFoldedElements = 4096;
// Each pass folds at least one node, and each block of a network usually
// needs one pass (its Shape reads the previous block's output); beyond this,
// shapes stay as inference left them.
constexpr int kMaxPasses = 512;

bool isIntType(int32_t type)
{
    return type == onnx::TensorProto_DataType_INT64 || type == onnx::TensorProto_DataType_INT32
           || type == onnx::TensorProto_DataType_BOOL;
}

std::optional<IntValue> readIntTensor(const onnx::TensorProto& tensor)
{
    IntValue value;
    value.dims.assign(tensor.dims().begin(), tensor.dims().end());
    size_t count = 1;
    for (int64_t dim : value.dims) {
        if (dim < 0 || (dim > 0 && count > kMaxFoldedElements / size_t(dim)))
            return std::nullopt;
        count *= size_t(dim);
    }
    if (tensor.data_location() == onnx::TensorProto_DataLocation_EXTERNAL)
        return std::nullopt;
    const std::string& raw = tensor.raw_data();
    switch (tensor.data_type()) {
    case onnx::TensorProto_DataType_INT64:
        if (!raw.empty()) {
            if (raw.size() != count * 8)
                return std::nullopt;
            value.data.resize(count);
            std::memcpy(value.data.data(), raw.data(), raw.size());
        } else {
            value.data.assign(tensor.int64_data().begin(), tensor.int64_data().end());
        }
        break;
    case onnx::TensorProto_DataType_INT32:
    case onnx::TensorProto_DataType_BOOL:
        if (!raw.empty()) {
            const size_t width = tensor.data_type() == onnx::TensorProto_DataType_BOOL ? 1 : 4;
            if (raw.size() != count * width)
                return std::nullopt;
            for (size_t i = 0; i < count; ++i) {
                int32_t element = 0;
                std::memcpy(&element, raw.data() + i * width, width);
                value.data.push_back(element);
            }
        } else {
            value.data.assign(tensor.int32_data().begin(), tensor.int32_data().end());
        }
        break;
    default:
        return std::nullopt;
    }
    if (value.data.size() != count)
        return std::nullopt;
    return value;
}

onnx::TensorProto writeIntTensor(const std::string& name, const IntValue& value)
{
    onnx::TensorProto tensor;
    tensor.set_name(name);
    tensor.set_data_type(onnx::TensorProto_DataType_INT64);
    for (int64_t dim : value.dims)
        tensor.add_dims(dim);
    for (int64_t element : value.data)
        tensor.add_int64_data(element);
    return tensor;
}

int64_t intAttribute(const onnx::NodeProto& node, const std::string& name, int64_t fallback)
{
    for (const onnx::AttributeProto& attribute : node.attribute())
        if (attribute.name() == name && attribute.type() == onnx::AttributeProto_AttributeType_INT)
            return attribute.i();
    return fallback;
}

std::optional<std::vector<int64_t>> intsAttribute(const onnx::NodeProto& node, const std::string& name)
{
    for (const onnx::AttributeProto& attribute : node.attribute())
        if (attribute.name() == name && attribute.type() == onnx::AttributeProto_AttributeType_INTS)
            return std::vector<int64_t>(attribute.ints().begin(), attribute.ints().end());
    return std::nullopt;
}

// Elementwise arithmetic with a scalar broadcast against a vector (what shape arithmetic uses).
std::optional<IntValue> binary(const IntValue& a, const IntValue& b, const std::string& op)
{
    if (a.data.size() != b.data.size() && a.data.size() != 1 && b.data.size() != 1)
        return std::nullopt;
    IntValue result = a.data.size() >= b.data.size() ? a : b;
    for (size_t i = 0; i < result.data.size(); ++i) {
        const int64_t x = a.data[a.data.size() == 1 ? 0 : i];
        const int64_t y = b.data[b.data.size() == 1 ? 0 : i];
        bool overflow = false;
        if (op == "Add")
            overflow = __builtin_add_overflow(x, y, &result.data[i]);
        else if (op == "Sub")
            overflow = __builtin_sub_overflow(x, y, &result.data[i]);
        else if (op == "Mul")
            overflow = __builtin_mul_overflow(x, y, &result.data[i]);
        else if (op == "Div") {
            if (y == 0 || (y == -1 && x == INT64_MIN))
                return std::nullopt;
            result.data[i] = x / y; // ONNX integer division truncates
        } else if (op == "Equal")
            result.data[i] = x == y;
        else
            return std::nullopt;
        if (overflow)
            return std::nullopt;
    }
    return result;
}

// Folds one node whose integer inputs are all known; nullopt when it cannot.
std::optional<IntValue> foldNode(const onnx::NodeProto& node, const std::vector<const IntValue*>& in,
                                 const std::vector<const StaticShape*>& shapes, int64_t opset)
{
    const std::string& op = node.op_type();
    auto known = [&](size_t index) { return index < in.size() && in[index] != nullptr; };
    if (op == "Constant") {
        for (const onnx::AttributeProto& attribute : node.attribute()) {
            if (attribute.name() == "value" && attribute.has_t())
                return readIntTensor(attribute.t());
            if (attribute.name() == "value_int")
                return IntValue{{}, {attribute.i()}};
            if (attribute.name() == "value_ints")
                return IntValue{{attribute.ints_size()}, {attribute.ints().begin(), attribute.ints().end()}};
        }
        return std::nullopt;
    }
    if (op == "Shape" || op == "Size") {
        if (shapes.empty() || !shapes[0] || !shapes[0]->rankKnown)
            return std::nullopt;
        const std::vector<int64_t>& dims = shapes[0]->dims;
        if (std::any_of(dims.begin(), dims.end(), [](int64_t dim) { return dim < 0; }))
            return std::nullopt;
        if (op == "Size") {
            int64_t product = 1;
            for (int64_t dim : dims)
                if (__builtin_mul_overflow(product, dim, &product))
                    return std::nullopt;
            return IntValue{{}, {product}};
        }
        const int64_t rank = int64_t(dims.size());
        int64_t start = intAttribute(node, "start", 0), end = intAttribute(node, "end", rank);
        start = std::clamp(start < 0 ? start + rank : start, int64_t{0}, rank);
        end = std::clamp(end < 0 ? end + rank : end, int64_t{0}, rank);
        IntValue value;
        value.data.assign(dims.begin() + start, dims.begin() + std::max(start, end));
        value.dims = {int64_t(value.data.size())};
        return value;
    }
    if (op == "Identity" && known(0))
        return *in[0];
    if (op == "Cast" && known(0)) {
        const int64_t to = intAttribute(node, "to", 0);
        if (!isIntType(int32_t(to)))
            return std::nullopt;
        return *in[0];
    }
    if ((op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Equal") && known(0) && known(1))
        return binary(*in[0], *in[1], op);
    if (op == "Where" && known(0) && known(1) && known(2)) {
        const size_t size = std::max({in[0]->data.size(), in[1]->data.size(), in[2]->data.size()});
        IntValue result{{int64_t(size)}, std::vector<int64_t>(size)};
        for (size_t i = 0; i < size; ++i) {
            auto at = [&](const IntValue* value) { return value->data[value->data.size() == 1 ? 0 : i]; };
            result.data[i] = at(in[0]) ? at(in[1]) : at(in[2]);
        }
        if (in[0]->dims.empty() && in[1]->dims.empty() && in[2]->dims.empty())
            result.dims.clear();
        return result;
    }
    if (op == "Gather" && known(0) && known(1) && in[0]->dims.size() <= 1 && intAttribute(node, "axis", 0) == 0) {
        IntValue result{in[1]->dims, {}};
        const int64_t size = int64_t(in[0]->data.size());
        for (int64_t index : in[1]->data) {
            const int64_t at = index < 0 ? index + size : index;
            if (at < 0 || at >= size)
                return std::nullopt;
            result.data.push_back(in[0]->data[size_t(at)]);
        }
        return result;
    }
    if ((op == "Unsqueeze" || op == "Squeeze") && known(0)) {
        std::optional<std::vector<int64_t>> axes = intsAttribute(node, "axes");
        if (opset >= 13 && known(1))
            axes = in[1]->data;
        IntValue result = *in[0];
        if (op == "Unsqueeze") {
            if (!axes)
                return std::nullopt;
            const int64_t rank = int64_t(result.dims.size() + axes->size());
            std::vector<int64_t> sorted;
            for (int64_t axis : *axes)
                sorted.push_back(axis < 0 ? axis + rank : axis);
            std::sort(sorted.begin(), sorted.end());
            for (int64_t axis : sorted) {
                if (axis < 0 || axis > int64_t(result.dims.size()))
                    return std::nullopt;
                result.dims.insert(result.dims.begin() + axis, 1);
            }
        } else {
            std::vector<int64_t> dims;
            for (int64_t dim : result.dims)
                if (dim != 1 || axes) // with axes given, keep dims not named (checked below)
                    dims.push_back(dim);
            if (axes) {
                dims.clear();
                const int64_t rank = int64_t(result.dims.size());
                std::set<int64_t> drop;
                for (int64_t axis : *axes)
                    drop.insert(axis < 0 ? axis + rank : axis);
                for (int64_t axis = 0; axis < rank; ++axis)
                    if (!drop.count(axis))
                        dims.push_back(result.dims[size_t(axis)]);
            }
            result.dims = dims;
        }
        return result;
    }
    if (op == "Concat") {
        IntValue result{{0}, {}};
        for (size_t index = 0; index < in.size(); ++index) {
            if (!known(index) || in[index]->dims.size() != 1)
                return std::nullopt;
            result.data.insert(result.data.end(), in[index]->data.begin(), in[index]->data.end());
        }
        result.dims[0] = int64_t(result.data.size());
        return in.empty() ? std::nullopt : std::optional<IntValue>(result);
    }
    if (op == "Slice" && known(0) && in[0]->dims.size() == 1) {
        std::optional<std::vector<int64_t>> starts = intsAttribute(node, "starts"), ends = intsAttribute(node, "ends");
        std::vector<int64_t> steps = {1};
        if (opset >= 10) {
            if (!known(1) || !known(2))
                return std::nullopt;
            starts = in[1]->data;
            ends = in[2]->data;
            if (in.size() > 3 && in[3] && (in[3]->data.size() != 1 || in[3]->data[0] != 0))
                return std::nullopt; // only axis 0 of a vector
            if (known(4))
                steps = in[4]->data;
        }
        if (!starts || !ends || starts->size() != 1 || ends->size() != 1 || steps.size() != 1 || steps[0] == 0)
            return std::nullopt;
        const int64_t size = int64_t(in[0]->data.size()), step = steps[0];
        auto clampIndex = [&](int64_t index, int64_t low, int64_t high) {
            return std::clamp(index < 0 ? index + size : index, low, high);
        };
        IntValue result{{0}, {}};
        // Indices stay within -1..size, so a step beyond the vector ends the loop at once.
        const int64_t stride = std::clamp(step, -size - 1, size + 1);
        if (stride > 0) {
            for (int64_t i = clampIndex((*starts)[0], 0, size); i < clampIndex((*ends)[0], 0, size); i += stride)
                result.data.push_back(in[0]->data[size_t(i)]);
        } else {
            for (int64_t i = clampIndex((*starts)[0], -1, size - 1); i > clampIndex((*ends)[0], -1, size - 1);
                 i += stride)
                result.data.push_back(in[0]->data[size_t(i)]);
        }
        result.dims[0] = int64_t(result.data.size());
        return result;
    }
    if (op == "Range" && known(0) && known(1) && known(2) && in[2]->data.size() == 1 && in[2]->data[0] != 0) {
        const int64_t start = in[0]->data.at(0), limit = in[1]->data.at(0), delta = in[2]->data[0];
        IntValue result{{0}, {}};
        for (int64_t x = start; delta > 0 ? x < limit : x > limit;) {
            if (result.data.size() >= kMaxFoldedElements)
                return std::nullopt;
            result.data.push_back(x);
            if (__builtin_add_overflow(x, delta, &x))
                break;
        }
        result.dims[0] = int64_t(result.data.size());
        return result;
    }
    if (op == "ConstantOfShape" && known(0)) {
        int64_t fill = 0;
        for (const onnx::AttributeProto& attribute : node.attribute())
            if (attribute.name() == "value" && attribute.has_t()) {
                const std::optional<IntValue> value = readIntTensor(attribute.t());
                if (!value || value->data.size() != 1)
                    return std::nullopt;
                fill = value->data[0];
            }
        int64_t count = 1;
        for (int64_t dim : in[0]->data)
            if (dim < 0 || __builtin_mul_overflow(count, dim, &count) || size_t(count) > kMaxFoldedElements)
                return std::nullopt;
        return IntValue{in[0]->data, std::vector<int64_t>(size_t(count), fill)};
    }
    return std::nullopt;
}

StaticShape shapeOf(const onnx::TypeProto& type)
{
    StaticShape shape;
    if (!type.has_tensor_type())
        return shape;
    shape.elementType = type.tensor_type().elem_type();
    if (!type.tensor_type().has_shape())
        return shape;
    shape.rankKnown = true;
    for (const onnx::TensorShapeProto_Dimension& dim : type.tensor_type().shape().dim())
        shape.dims.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
    return shape;
}

void addValueInfo(onnx::GraphProto& graph, const std::string& name, int32_t type, const std::vector<int64_t>& dims)
{
    onnx::ValueInfoProto* info = graph.add_input();
    info->set_name(name);
    onnx::TypeProto_Tensor* tensor = info->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(type);
    onnx::TensorShapeProto* shape = tensor->mutable_shape();
    for (int64_t dim : dims)
        shape->add_dim()->set_dim_value(dim);
}

} // namespace

std::map<std::string, StaticShape> inferStaticShapes(const onnx::ModelProto& model,
                                                     const std::vector<std::string>& dataInputs, int64_t batch)
{
    // A light copy: the weights become typed inputs (their values are not
    // needed for shapes); small integer initializers keep their values.
    onnx::ModelProto work;
    work.set_ir_version(model.ir_version());
    *work.mutable_opset_import() = model.opset_import();
    onnx::GraphProto& graph = *work.mutable_graph();
    const onnx::GraphProto& source = model.graph();
    *graph.mutable_node() = source.node();
    *graph.mutable_output() = source.output();
    std::set<std::string> initializerNames;
    std::map<std::string, IntValue> values;
    for (const onnx::TensorProto& initializer : source.initializer()) {
        initializerNames.insert(initializer.name());
        const std::vector<int64_t> dims(initializer.dims().begin(), initializer.dims().end());
        addValueInfo(graph, initializer.name(), initializer.data_type(), dims);
        if (isIntType(initializer.data_type()))
            if (std::optional<IntValue> value = readIntTensor(initializer))
                values[initializer.name()] = *value;
    }
    const std::set<std::string> batched(dataInputs.begin(), dataInputs.end());
    for (const onnx::ValueInfoProto& input : source.input()) {
        if (initializerNames.count(input.name()))
            continue;
        onnx::ValueInfoProto* copy = graph.add_input();
        *copy = input;
        if (batched.count(input.name()))
            copy->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_value(batch);
    }
    int64_t opset = 0;
    for (const onnx::OperatorSetIdProto& entry : model.opset_import())
        if (entry.domain().empty() || entry.domain() == "ai.onnx")
            opset = entry.version();

    std::map<std::string, StaticShape> shapes;
    for (int pass = 0; pass < kMaxPasses; ++pass) {
        graph.clear_value_info();
        onnx::shape_inference::InferShapes(work, onnx::OpSchemaRegistry::Instance(),
                                           onnx::ShapeInferenceOptions(false, 0, true));
        shapes.clear();
        for (const onnx::ValueInfoProto& info : graph.input())
            shapes[info.name()] = shapeOf(info.type());
        for (const onnx::ValueInfoProto& info : graph.value_info())
            shapes[info.name()] = shapeOf(info.type());
        for (const onnx::ValueInfoProto& info : graph.output())
            shapes[info.name()] = shapeOf(info.type());
        // Fold every node whose integer inputs are known; its outputs become
        // integer inputs of known value to the next inference.
        google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
        bool folded = false;
        for (const onnx::NodeProto& node : graph.node()) {
            std::vector<const IntValue*> in;
            std::vector<const StaticShape*> inShapes;
            for (const std::string& name : node.input()) {
                const auto value = values.find(name);
                in.push_back(value == values.end() ? nullptr : &value->second);
                const auto shape = shapes.find(name);
                inShapes.push_back(shape == shapes.end() ? nullptr : &shape->second);
            }
            std::optional<IntValue> value;
            if (node.output_size() == 1 && (node.domain().empty() || node.domain() == "ai.onnx"))
                value = foldNode(node, in, inShapes, opset);
            if (!value) {
                *kept.Add() = node;
                continue;
            }
            folded = true;
            values[node.output(0)] = *value;
            addValueInfo(graph, node.output(0), onnx::TensorProto_DataType_INT64, value->dims);
            *graph.add_initializer() = writeIntTensor(node.output(0), *value);
        }
        if (!folded)
            break;
        graph.mutable_node()->Swap(&kept);
    }
    for (const auto& [name, value] : values) {
        StaticShape& shape = shapes[name];
        shape.valueKnown = true;
        shape.value = value.data;
    }
    return shapes;
}

} // namespace lpm
