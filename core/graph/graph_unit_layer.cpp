#include "graph/graph_unit_layer.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

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
    // The nodes that run: the unit's operations, and whatever computes what
    // they read that the unit does not hold (a position table's lookup, a
    // mask's comparison, a scale from the shape arithmetic). A weight's
    // Transpose runs too (a linear layer as MatMul), so that the weight is
    // trained in the file's layout.
    std::map<std::string, int> producer;
    for (int node : unit.nodes)
        for (const std::string& output : graph.nodes[size_t(node)].outputs)
            producer[output] = node;
    auto held = [&](const std::string& name) {
        const GraphTensor* tensor = graph.find(name);
        const auto made = producer.find(name);
        if (made != producer.end() && graph.nodes[size_t(made->second)].op == "Transpose")
            return false;
        return name == input || (tensor && tensor->isWeight) || graph.weightValues.count(name) > 0
               || graph.integerValues.count(name) > 0;
    };
    std::map<int, std::unique_ptr<GraphOp>> runs;                                  // node → its op
    std::set<int> pending(unit.operationNodes.begin(), unit.operationNodes.end()); // in file order, for messages
    while (!pending.empty()) {
        const int node = *pending.begin();
        pending.erase(pending.begin());
        if (runs.count(node))
            continue;
        const GraphNode& each = graph.nodes[size_t(node)];
        std::unique_ptr<GraphOp>& op = runs[node] = makeGraphOp(graph, each);
        for (size_t i = 0; i < each.inputs.size(); ++i) {
            const auto found = producer.find(each.inputs[i]);
            if (op->readsInput(i) && !each.inputs[i].empty() && !held(each.inputs[i]) && found != producer.end())
                pending.insert(found->second);
        }
    }

    std::map<std::string, int> index{{input, 0}};
    values_.push_back(Value{input, Source::Input, -1, {}, {}});
    input_ = 0;
    std::vector<Reader> readers; // the first reader of each weight, for its role
    for (int nodeIndex : unit.nodes) {
        if (!runs.count(nodeIndex))
            continue;
        const GraphNode& node = graph.nodes[size_t(nodeIndex)];
        Step step;
        step.node = node.name;
        step.op = std::move(runs[nodeIndex]);
        for (size_t i = 0; i < node.inputs.size(); ++i) {
            const std::string& name = node.inputs[i];
            int value = -1;
            if (!step.op->readsInput(i)) {
                // a shape or axes the op takes from the graph instead
            } else if (const auto found = index.find(name); found != index.end()) {
                value = found->second;
            } else if (!name.empty() && held(name)) {
                value = int(values_.size());
                values_.push_back(Value{name, Source::Weight, -1, {}, {}});
                readers.push_back(Reader{value, &node, i});
                index[name] = value;
            } else if (!name.empty() && producer.count(name)) {
                throw InvalidArgument(graph.source + ": node '" + node.name + "' of unit '" + description_ + "' reads '"
                                      + name + "', which comes from the shape of a tensor at run time");
            } else if (!name.empty() && graph.find(name) && graph.find(name)->isFloat) {
                throw InvalidArgument(graph.source + ": node '" + node.name + "' of unit '" + description_ + "' reads '"
                                      + name + "', which the unit neither computes nor holds");
            }
            step.inputs.push_back(value);
        }
        const size_t required = step.op->requiredInputs(node.inputs.size());
        for (size_t i = 0; i < required; ++i)
            if (i >= step.inputs.size() || step.inputs[i] < 0)
                throw InvalidArgument(graph.source + ": node '" + node.name + "' (" + node.op + "): input "
                                      + std::to_string(i) + (i < node.inputs.size() ? " '" + node.inputs[i] + "'" : "")
                                      + " is not a tensor the unit can read");
        for (const std::string& output : node.outputs) {
            if (output.empty()) {
                step.outputs.push_back(-1);
                continue;
            }
            index[output] = int(values_.size());
            step.outputs.push_back(int(values_.size()));
            const GraphTensor* inferred = graph.find(output);
            values_.push_back(Value{output, Source::Computed, -1, {}, inferred ? *inferred : GraphTensor{}});
        }
        steps_.push_back(std::move(step));
    }
    const auto found = index.find(unit.output);
    if (found == index.end() || values_[size_t(found->second)].source != Source::Computed)
        throw InvalidArgument(graph.source + ": unit '" + description_ + "' does not compute its output '" + unit.output
                              + "'");
    output_ = found->second;

    // A weight that a gradient reaches from the output is trained; one read
    // only where none flows (a mask under a comparison) is a constant.
    std::vector<bool> reached(values_.size(), false);
    reached[size_t(output_)] = true;
    for (size_t s = steps_.size(); s-- > 0;) {
        const Step& each = steps_[s];
        if (std::none_of(each.outputs.begin(), each.outputs.end(), [&](int v) { return v >= 0 && reached[size_t(v)]; }))
            continue;
        for (size_t i = 0; i < each.inputs.size(); ++i)
            if (each.inputs[i] >= 0 && each.op->differentiable(i))
                reached[size_t(each.inputs[i])] = true;
    }
    for (const Reader& reader : readers)
        holdWeight(graph, reader, reached[size_t(reader.value)]);
}

GraphUnitLayer::~GraphUnitLayer() = default;

void GraphUnitLayer::holdWeight(const Graph& graph, const Reader& reader, bool trained)
{
    Value& value = values_[size_t(reader.value)];
    const std::string& name = value.name;
    const GraphTensor* tensor = graph.find(name);
    value.dims = tensor && tensor->rankKnown ? tensor->dims : Dims{};
    const auto values = graph.weightValues.find(name);
    std::shared_ptr<const std::vector<float>> given = values == graph.weightValues.end() ? nullptr : values->second;
    if (const auto integers = graph.integerValues.find(name); !given && integers != graph.integerValues.end())
        given = std::make_shared<const std::vector<float>>(integers->second.begin(), integers->second.end());
    const WeightRole role = weightRoleOf(graph, *reader.node, reader.input);
    const bool weight = tensor && tensor->isWeight && tensor->isFloat && !value.dims.empty();
    if (role.runningStatistic && !weight) // the op updates it in place: it must be a buffer of the unit's own
        throw InvalidArgument(graph.source + ": node '" + reader.node->name + "' reads its running statistic '" + name
                              + "' from something other than a float weight of the file");
    if (weight && (trained || role.runningStatistic)) {
        if (staticElements(*tensor) < 1)
            throw InvalidArgument(graph.source + ": weight '" + name + "' " + formatGraphShape(*tensor)
                                  + " has no static shape");
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
            parameters_.push_back(&slot);
        }
        setImported(name, name, given);
        return;
    }
    // A constant: a Constant node's, a folded integer, a scalar initializer,
    // or a weight no gradient reaches.
    if (!given)
        throw InvalidArgument(graph.source + ": '" + name + "', read by node '" + reader.node->name
                              + "' as a constant, has no values in the file");
    if (value.dims.empty() && given->size() != 1)
        value.dims = {int64_t(given->size())};
    if (elementCountOf(value.dims) != int64_t(given->size()))
        throw InvalidArgument(graph.source + ": constant '" + name + "' holds " + std::to_string(given->size())
                              + " values for the shape " + formatDims(value.dims));
    value.source = Source::Constant;
    value.slot = int(constants_.size());
    constants_.push_back(given);
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
        std::vector<OpTensor> inputs;
        for (int v : each.inputs)
            inputs.push_back(v >= 0 ? context.values[size_t(v)] : OpTensor{});
        const std::vector<Dims> outputDims = each.op->outputDimsOf(inputs, batch);
        std::vector<OpTensor> outputs;
        for (size_t o = 0; o < each.outputs.size(); ++o) {
            const int v = each.outputs[o];
            if (v < 0 || o >= outputDims.size()) {
                outputs.push_back(OpTensor{});
                continue;
            }
            const GraphTensor& inferred = values_[size_t(v)].inferred;
            const int64_t count = elementCountOf(outputDims[o]);
            if (inferred.rankKnown) {
                try {
                    dimsAtBatch(inferred, batch, count);
                } catch (const InvalidArgument&) {
                    throw InvalidArgument("GraphUnit '" + description_ + "': node '" + each.node + "' computed "
                                          + formatDims(outputDims[o]) + " for '" + inferred.name
                                          + "' where shape inference gave " + formatGraphShape(inferred));
                }
            }
            context.storage[size_t(v)] = Tensor::uninitializedLike(like, Shape{count});
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
