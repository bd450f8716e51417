#include "graph/graph_unit_layer.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "tensor/error.h"

namespace lpm {

namespace {

Dims dimsOf(const Shape& shape)
{
    Dims dims;
    for (int axis = 0; axis < shape.rank(); ++axis)
        dims.push_back(shape[axis]);
    return dims;
}

// A Shape for extents of rank 1 to 4 (Shape's limit); a flat one beyond.
Shape shapeOf(const Dims& dims)
{
    switch (dims.size()) {
    case 1:
        return Shape{dims[0]};
    case 2:
        return Shape{dims[0], dims[1]};
    case 3:
        return Shape{dims[0], dims[1], dims[2]};
    case 4:
        return Shape{dims[0], dims[1], dims[2], dims[3]};
    default:
        return Shape{elementCountOf(dims)};
    }
}

// Extents of a boundary tensor (the unit's input or output): the batch
// first, then known extents, at most four in all.
Dims boundaryDims(const Graph& graph, const std::string& name, const std::string& role)
{
    const GraphTensor* tensor = graph.find(name);
    const bool fits = tensor && tensor->rankKnown && tensor->dims.size() >= 2 && tensor->dims.size() <= 4
                      && tensor->dims[0] == GraphTensor::kBatchDimension
                      && std::all_of(tensor->dims.begin() + 1, tensor->dims.end(), [](int64_t d) { return d > 0; });
    if (!fits)
        throw InvalidArgument(graph.source + ": a unit's " + role + " '" + name
                              + "' must be (batch, then 1 to 3 known extents), not "
                              + (tensor ? formatGraphShape(*tensor) : std::string("(unknown)")));
    return tensor->dims;
}

} // namespace

struct GraphUnitLayer::Context : LayerContext {
    std::vector<OpTensor> values;                 // every value's extents and floats
    std::vector<Tensor> storage;                  // the floats of the input and the computed values
    std::vector<std::unique_ptr<OpState>> states; // per step
    std::vector<Tensor> parameterGradients;       // B's, per parameter, for W (empty: none)
    Shape inputShape;
    StepInfo step;
};

GraphUnitLayer::GraphUnitLayer(const Graph& graph, const GraphUnit& unit, const std::string& input)
    : description_(unit.description), cost_(unit.cost)
{
    inputDims_ = boundaryDims(graph, input, "input");
    outputDims_ = boundaryDims(graph, unit.output, "output");
    std::map<std::string, int> index{{input, 0}};
    values_.push_back(Value{input, Source::Input, -1, {}, true});
    input_ = 0;
    for (int nodeIndex : unit.nodes) {
        const GraphNode& node = graph.nodes[size_t(nodeIndex)];
        // Constants are read where used; shape arithmetic (integer outputs)
        // is folded into the shapes; an alias of a weight is a weight itself.
        bool computesFloats = false;
        for (const std::string& output : node.outputs) {
            const GraphTensor* tensor = output.empty() ? nullptr : graph.find(output);
            computesFloats = computesFloats || (tensor && tensor->isFloat && !tensor->isWeight);
        }
        if (node.op == "Constant" || !computesFloats)
            continue;
        Step step;
        step.node = node.name;
        step.op = makeGraphOp(graph, node);
        for (size_t i = 0; i < node.inputs.size(); ++i) {
            const std::string& name = node.inputs[i];
            int value = -1;
            if (const auto found = index.find(name); found != index.end())
                value = found->second;
            else if (!name.empty() && (value = valueOf(name, graph, node, i)) >= 0)
                index[name] = value;
            step.inputs.push_back(value);
        }
        const size_t required = step.op->requiredInputs(node.inputs.size());
        for (size_t i = 0; i < required; ++i)
            if (i >= step.inputs.size() || step.inputs[i] < 0)
                throw InvalidArgument(graph.source + ": node '" + node.name + "' (" + node.op + "): input "
                                      + std::to_string(i) + (i < node.inputs.size() ? " '" + node.inputs[i] + "'" : "")
                                      + " is not a float tensor the unit can read");
        for (const std::string& output : node.outputs) {
            if (output.empty()) {
                step.outputs.push_back(-1);
                continue;
            }
            index[output] = int(values_.size());
            step.outputs.push_back(int(values_.size()));
            values_.push_back(Value{output, Source::Computed, -1, {}, false});
        }
        steps_.push_back(std::move(step));
    }
    const auto found = index.find(unit.output);
    if (found == index.end() || values_[size_t(found->second)].source != Source::Computed)
        throw InvalidArgument(graph.source + ": unit '" + description_ + "' does not compute its output '" + unit.output
                              + "'");
    output_ = found->second;
}

GraphUnitLayer::~GraphUnitLayer() = default;

int GraphUnitLayer::valueOf(const std::string& name, const Graph& graph, const GraphNode& reader, size_t input)
{
    const GraphTensor* tensor = graph.find(name);
    if (!tensor || !tensor->isFloat)
        return -1; // a shape or an axis: the ops take those from the graph
    const auto values = graph.weightValues.find(name);
    const auto given = values == graph.weightValues.end() ? nullptr : values->second;
    Value value{name, Source::Constant, -1, tensor->rankKnown ? tensor->dims : Dims{}, false};
    if (tensor->isWeight && !value.dims.empty()) {
        if (staticElements(*tensor) < 1)
            throw InvalidArgument(graph.source + ": weight '" + name + "' " + formatGraphShape(*tensor)
                                  + " has no static shape");
        const WeightRole role = weightRoleOf(graph, reader, input);
        const Shape shape = shapeOf(value.dims);
        if (role.runningStatistic) {
            BufferSlot& slot = registerBuffer(name, shape, role.initialValue, role.averagingMomentum);
            value.source = Source::Buffer;
            value.slot = int(buffers_.size());
            buffers_.push_back(&slot);
        } else {
            ParameterSlot& slot = registerParameter(name, shape, role.init, role.fanIn);
            value.source = Source::Parameter;
            value.slot = int(parameters_.size());
            value.needsGradient = true;
            parameters_.push_back(&slot);
        }
        setImported(name, name, given);
    } else if (given) { // a Constant node's, or a scalar initializer: fixed
        if (value.dims.empty() && given->size() != 1)
            value.dims = {int64_t(given->size())};
        if (elementCountOf(value.dims) != int64_t(given->size()))
            throw InvalidArgument(graph.source + ": constant '" + name + "' holds " + std::to_string(given->size())
                                  + " values for the shape " + formatDims(value.dims));
        value.slot = int(constants_.size());
        constants_.push_back(given);
    } else if (tensor->isWeight) {
        throw InvalidArgument(graph.source + ": scalar weight '" + name
                              + "' has no value in the file (a constant must be stored to train)");
    } else {
        throw InvalidArgument(graph.source + ": node '" + reader.name + "' of unit '" + description_ + "' reads '"
                              + name + "', which the unit neither computes nor holds");
    }
    values_.push_back(std::move(value));
    return int(values_.size()) - 1;
}

Shape GraphUnitLayer::outputShape(const Shape& input) const
{
    Dims expected = inputDims_;
    expected[0] = input.rank() > 0 ? input[0] : 0;
    if (dimsOf(input) != expected)
        throw InvalidArgument("GraphUnit '" + description_ + "': expects input " + formatDims(expected) + ", got "
                              + input.toString());
    Dims out = outputDims_;
    out[0] = input[0];
    return shapeOf(out);
}

Tensor GraphUnitLayer::run(Backend& backend, Tensor input, const StepInfo& step, Context& context)
{
    if (!backend.usesHostMemory() || !input.onHost())
        throw InvalidArgument("GraphUnit '" + description_
                              + "': the merged units of an imported graph run on the CPU backend only for now, not on "
                              + backend.name());
    const Shape outShape = outputShape(input.shape());
    const int64_t batch = input.shape()[0];
    context.inputShape = input.shape();
    context.step = step;
    context.values.assign(values_.size(), OpTensor{});
    context.storage.resize(values_.size());
    context.states.resize(steps_.size());
    for (size_t v = 0; v < values_.size(); ++v) {
        const Value& value = values_[v];
        OpTensor& tensor = context.values[v];
        tensor.dims = value.dims;
        if (value.source == Source::Parameter)
            tensor.data = parameters_[size_t(value.slot)]->value;
        else if (value.source == Source::Buffer)
            tensor.data = buffers_[size_t(value.slot)]->value;
        else if (value.source == Source::Constant)
            tensor.data = const_cast<float*>(constants_[size_t(value.slot)]->data()); // read only
    }
    context.values[size_t(input_)] = OpTensor{dimsOf(input.shape()), input.data()};
    context.storage[size_t(input_)] = std::move(input);
    const Tensor& like = context.storage[size_t(input_)];
    for (size_t s = 0; s < steps_.size(); ++s) {
        Step& each = steps_[s];
        std::vector<Dims> inputDims;
        std::vector<OpTensor> inputs;
        for (int v : each.inputs) {
            inputs.push_back(v >= 0 ? context.values[size_t(v)] : OpTensor{});
            inputDims.push_back(inputs.back().dims);
        }
        const std::vector<Dims> outputDims = each.op->outputDims(inputDims, batch);
        std::vector<OpTensor> outputs;
        for (size_t o = 0; o < each.outputs.size(); ++o) {
            const int v = each.outputs[o];
            if (v < 0 || o >= outputDims.size()) {
                outputs.push_back(OpTensor{});
                continue;
            }
            context.storage[size_t(v)] = Tensor::uninitializedLike(like, Shape{elementCountOf(outputDims[o])});
            context.values[size_t(v)] = OpTensor{outputDims[o], context.storage[size_t(v)].data()};
            outputs.push_back(context.values[size_t(v)]);
        }
        OpCall call{backend, step, std::move(inputs), std::move(outputs), context.states[s], {}, {}};
        each.op->forward(call);
    }
    const OpTensor& result = context.values[size_t(output_)];
    if (elementCountOf(result.dims) != outShape.elementCount())
        throw InvalidArgument("GraphUnit '" + description_ + "': computed " + formatDims(result.dims)
                              + " where shape inference gave " + outShape.toString());
    Tensor output = Tensor::uninitializedLike(like, outShape);
    std::memcpy(output.data(), result.data, size_t(outShape.elementCount()) * sizeof(float));
    return output;
}

Tensor GraphUnitLayer::forward(Backend& backend, Tensor input, const StepInfo& step,
                               std::unique_ptr<LayerContext>& context)
{
    auto kept = std::make_unique<Context>();
    Tensor output = run(backend, std::move(input), step, *kept);
    if (step.training)
        context = std::move(kept);
    return output;
}

Tensor GraphUnitLayer::backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<Context>(context);
    // Which values a gradient reaches: the input (when wanted), the
    // parameters, and whatever is computed from them.
    std::vector<bool> needed(values_.size(), false);
    for (size_t v = 0; v < values_.size(); ++v)
        needed[v] =
            values_[v].source == Source::Parameter || (values_[v].source == Source::Input && inputGradientNeeded());
    for (const Step& each : steps_) {
        bool reached = false;
        for (int v : each.inputs)
            reached = reached || (v >= 0 && needed[size_t(v)]);
        for (int v : each.outputs)
            if (v >= 0)
                needed[size_t(v)] = reached;
    }
    std::vector<Tensor> grads(values_.size());
    auto gradientOf = [&](int v) {
        Tensor& grad = grads[size_t(v)];
        if (grad.empty()) {
            grad = Tensor::uninitializedLike(gradOutput, Shape{elementCountOf(saved.values[size_t(v)].dims)});
            grad.fill(0.0f);
        }
        return grad.data();
    };
    std::memcpy(gradientOf(output_), gradOutput.data(), size_t(gradOutput.elementCount()) * sizeof(float));
    for (size_t s = steps_.size(); s-- > 0;) {
        Step& each = steps_[s];
        bool reached = false;
        for (int v : each.outputs)
            reached = reached || (v >= 0 && !grads[size_t(v)].empty());
        if (!reached || std::none_of(each.outputs.begin(), each.outputs.end(), [&](int v) {
                return v >= 0 && needed[size_t(v)];
            }))
            continue;
        std::vector<OpTensor> inputs, outputs;
        std::vector<float*> inputGrads;
        std::vector<const float*> outputGrads;
        for (int v : each.inputs) {
            inputs.push_back(v >= 0 ? saved.values[size_t(v)] : OpTensor{});
            inputGrads.push_back(v >= 0 && needed[size_t(v)] ? gradientOf(v) : nullptr);
        }
        for (int v : each.outputs) {
            outputs.push_back(v >= 0 ? saved.values[size_t(v)] : OpTensor{});
            outputGrads.push_back(v >= 0 ? gradientOf(v) : nullptr);
        }
        OpCall call{backend,
                    saved.step,
                    std::move(inputs),
                    std::move(outputs),
                    saved.states[s],
                    std::move(outputGrads),
                    std::move(inputGrads)};
        each.op->backward(call);
    }
    saved.parameterGradients.resize(parameters_.size());
    for (size_t v = 0; v < values_.size(); ++v)
        if (values_[v].source == Source::Parameter)
            saved.parameterGradients[size_t(values_[v].slot)] = std::move(grads[v]);
    if (!inputGradientNeeded())
        return Tensor{};
    Tensor gradInput = std::move(grads[size_t(input_)]);
    if (gradInput.empty())
        gradInput = Tensor::uninitializedLike(gradOutput, saved.inputShape), gradInput.fill(0.0f);
    gradInput.reshape(saved.inputShape);
    return gradInput;
}

void GraphUnitLayer::backwardWeights(Backend& backend, LayerContext& context)
{
    auto& saved = contextAs<Context>(context);
    for (size_t p = 0; p < saved.parameterGradients.size(); ++p) {
        Tensor& grad = saved.parameterGradients[p];
        if (!grad.empty())
            backend.addInPlace(grad.elementCount(), grad.data(), parameters_[p]->grad);
        grad = Tensor{};
    }
}

Tensor GraphUnitLayer::backward(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    Tensor gradInput = backwardInput(backend, std::move(gradOutput), context);
    backwardWeights(backend, context);
    return gradInput;
}

} // namespace lpm
