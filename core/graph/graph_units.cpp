#include "graph/graph_units.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <queue>
#include <set>

#include "graph/op_costs.h"
#include "tensor/error.h"

namespace lpm {

namespace {

// Which node writes each tensor; throws for an undefined read or a second writer.
std::map<std::string, int> producersOf(const Graph& graph)
{
    std::map<std::string, int> producer;
    for (int index = 0; index < int(graph.nodes.size()); ++index)
        for (const std::string& output : graph.nodes[size_t(index)].outputs) {
            if (output.empty())
                continue;
            if (!producer.emplace(output, index).second)
                throw FileError(graph.source + ": nodes '" + graph.nodes[size_t(producer[output])].name + "' and '"
                                + graph.nodes[size_t(index)].name + "' both write tensor '" + output + "'");
        }
    const std::set<std::string> inputs(graph.dataInputs.begin(), graph.dataInputs.end());
    auto defined = [&](const std::string& name) {
        const GraphTensor* tensor = graph.find(name);
        return producer.count(name) || inputs.count(name) || (tensor && tensor->isWeight);
    };
    for (const GraphNode& node : graph.nodes)
        for (const std::string& input : node.inputs)
            if (!input.empty() && !defined(input))
                throw FileError(graph.source + ": node '" + node.name + "' (" + node.op + ") reads '" + input
                                + "', which no node writes and which is neither an input nor an initializer (a "
                                  "missing initializer?)");
    if (graph.outputs.empty())
        throw FileError(graph.source + ": the graph has no output");
    for (const std::string& output : graph.outputs)
        if (!defined(output))
            throw FileError(graph.source + ": the graph's output '" + output + "' is written by no node");
    return producer;
}

// Kahn's algorithm, taking the earliest node in file order among those ready,
// so that a file already in order keeps its order.
std::vector<int> topologicalOrder(const Graph& graph, const std::map<std::string, int>& producer)
{
    const size_t count = graph.nodes.size();
    std::vector<int> waiting(count, 0);
    std::vector<std::vector<int>> readers(count);
    for (size_t index = 0; index < count; ++index) {
        std::set<int> sources;
        for (const std::string& input : graph.nodes[index].inputs) {
            const auto found = producer.find(input);
            if (found != producer.end())
                sources.insert(found->second);
        }
        waiting[index] = int(sources.size());
        for (int source : sources)
            readers[size_t(source)].push_back(int(index));
    }
    std::priority_queue<int, std::vector<int>, std::greater<>> ready;
    for (size_t index = 0; index < count; ++index)
        if (waiting[index] == 0)
            ready.push(int(index));
    std::vector<int> order;
    while (!ready.empty()) {
        const int node = ready.top();
        ready.pop();
        order.push_back(node);
        for (int reader : readers[size_t(node)])
            if (--waiting[size_t(reader)] == 0)
                ready.push(reader);
    }
    if (order.size() != count) {
        std::string stuck;
        int named = 0;
        for (size_t index = 0; index < count && named < 4; ++index)
            if (waiting[index] > 0) {
                stuck += std::string(named++ ? ", " : "") + "'" + graph.nodes[index].name + "'";
            }
        throw FileError(graph.source + ": the nodes form a cycle (" + std::to_string(count - order.size())
                        + " nodes wait on each other, among them " + stuck + ")");
    }
    return order;
}

int64_t bytesPerSample(const Graph& graph, const std::string& name)
{
    const GraphTensor* tensor = graph.find(name);
    if (!tensor)
        return 0;
    int64_t bytes = 0;
    const int64_t elements = elementsPerSample(*tensor);
    return elements < 0 || __builtin_mul_overflow(elements, int64_t(tensor->elementBytes), &bytes) ? 0 : bytes;
}

std::string describeOps(const Graph& graph, const std::vector<int>& nodes, const std::vector<bool>& active)
{
    std::vector<std::pair<std::string, int>> counts;
    for (int node : nodes) {
        if (!active[size_t(node)])
            continue;
        const std::string& op = graph.nodes[size_t(node)].op;
        auto found = std::find_if(counts.begin(), counts.end(), [&](const auto& entry) { return entry.first == op; });
        if (found == counts.end())
            counts.emplace_back(op, 1);
        else
            ++found->second;
    }
    std::string text;
    for (const auto& [op, count] : counts)
        text += (text.empty() ? "" : ", ") + op + (count > 1 ? " x" + std::to_string(count) : "");
    return text;
}

// An activation function alone after a merged block joins the block, as the
// last ReLU of a residual block belongs to it: cutting before it or after it
// moves a tensor of the same size.
void mergeTrailingActivations(const Graph& graph, const std::vector<bool>& active, std::vector<GraphUnit>& units)
{
    static const std::set<std::string> activationOps = {
        "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "Gelu", "Elu", "Selu", "HardSigmoid", "HardSwish", "Softplus"};
    auto activeCount = [&](const GraphUnit& unit) {
        return std::count_if(unit.nodes.begin(), unit.nodes.end(), [&](int node) { return active[size_t(node)]; });
    };
    std::vector<GraphUnit> merged;
    for (GraphUnit& unit : units) {
        const bool activation = unit.nodes.size() == 1 && activationOps.count(graph.nodes[size_t(unit.nodes[0])].op);
        if (activation && !merged.empty() && activeCount(merged.back()) > 1) {
            merged.back().nodes.push_back(unit.nodes[0]);
            merged.back().output = unit.output;
        } else {
            merged.push_back(std::move(unit));
        }
    }
    units = std::move(merged);
}

// LayerNorm as PyTorch exports it below opset 17 (ReduceMean, Sub, Pow,
// ReduceMean, Add, Sqrt, Div, Mul, Add) has a place to cut after nearly
// every step; the run of units it spans becomes one LayerNormalization unit.
void mergeDecomposedLayerNorms(const Graph& graph, const std::vector<bool>& active, std::vector<GraphUnit>& units)
{
    static const std::set<std::string> patternOps = {"ReduceMean", "Sub", "Pow", "Add", "Sqrt", "Div", "Mul"};
    auto onlyPatternOps = [&](const GraphUnit& unit) {
        return std::all_of(unit.nodes.begin(), unit.nodes.end(), [&](int node) {
            return !active[size_t(node)] || patternOps.count(graph.nodes[size_t(node)].op) > 0;
        });
    };
    std::vector<GraphUnit> merged;
    bool inPattern = false; // the last merged unit is a LayerNorm still open
    for (GraphUnit& unit : units) {
        const bool startsPattern =
            !unit.nodes.empty() && graph.nodes[size_t(unit.nodes.front())].op == "ReduceMean" && onlyPatternOps(unit);
        if (inPattern && onlyPatternOps(unit) && !startsPattern) {
            merged.back().nodes.insert(merged.back().nodes.end(), unit.nodes.begin(), unit.nodes.end());
            merged.back().output = unit.output;
            continue;
        }
        inPattern = startsPattern;
        merged.push_back(std::move(unit));
        if (startsPattern)
            merged.back().kind = "LayerNormalization";
    }
    units = std::move(merged);
}

// total += bytes; throws FileError when a file's dimensions make the sum overflow.
void addBytes(const Graph& graph, int64_t& total, int64_t bytes)
{
    if (__builtin_add_overflow(total, bytes, &total))
        throw FileError(graph.source + ": tensor sizes beyond any device (dimensions too large)");
}

// Sums the per-sample costs of a unit's nodes.
void costUnit(const Graph& graph, const std::set<std::string>& activations, GraphUnit& unit)
{
    std::set<std::string> parameters;
    std::set<std::string> readActivations;
    int launches = 0;
    for (int index : unit.nodes) {
        const GraphNode& node = graph.nodes[size_t(index)];
        const NodeCost cost = estimateNodeCost(graph, node);
        unit.cost.forwardFlops += cost.forwardFlops;
        unit.cost.backwardFlops += cost.backwardFlops;
        unit.cost.weightGradientFlops += cost.weightGradientFlops;
        bool active = false;
        // What a backward keeps: the inputs an op reads, except that a max
        // pool keeps its output's argmax and data movement keeps nothing.
        const bool keepsInputs = node.op != "MaxPool" && !movesDataOnly(node);
        if (node.op == "MaxPool" && !node.outputs.empty())
            readActivations.insert(node.outputs.front());
        for (size_t input = 0; input < node.inputs.size(); ++input) {
            const std::string& name = node.inputs[input];
            const GraphTensor* tensor = name.empty() ? nullptr : graph.find(name);
            if (activations.count(name)) {
                if (keepsInputs)
                    readActivations.insert(name);
                active = true;
            } else if (tensor && tensor->isWeight && tensor->isFloat && readsParameter(node, input)) {
                parameters.insert(name);
            }
        }
        if (!active)
            continue;
        unit.estimated = unit.estimated || cost.estimated;
        launches += cost.forwardFlops > 0.0 ? 1 : 0;
        if (cost.weightGradientFlops > 0.0) {
            addBytes(graph, unit.cost.weightGradientBytes, bytesPerSample(graph, node.inputs.front()));
            addBytes(graph, unit.cost.weightGradientBytes, bytesPerSample(graph, node.outputs.front()));
        }
    }
    for (const std::string& name : parameters) {
        const GraphTensor& tensor = *graph.find(name);
        const int64_t elements = staticElements(tensor);
        int64_t bytes = 0;
        if (elements >= 0 && !__builtin_mul_overflow(elements, int64_t(tensor.elementBytes), &bytes))
            addBytes(graph, unit.cost.parameterBytes, bytes);
    }
    for (const std::string& name : readActivations)
        addBytes(graph, unit.cost.savedBytes, bytesPerSample(graph, name));
    unit.cost.outputBytes = bytesPerSample(graph, unit.output);
    const GraphTensor* output = graph.find(unit.output);
    unit.estimated = unit.estimated || !output || elementsPerSample(*output) < 0;
    unit.cost.launches = std::max(launches, 1);
    for (double flops : {unit.cost.forwardFlops, unit.cost.backwardFlops, unit.cost.weightGradientFlops})
        if (!std::isfinite(flops))
            throw FileError(graph.source + ": the shapes of the nodes of a unit that ends in '" + unit.output
                            + "' give an infinite FLOP count (dimensions too large)");
}

// The activations, in `order`: the data inputs, and what a node writes from
// one (Shape and Size read only the shape, which the batch size fixes).
std::set<std::string> markActivations(const Graph& graph, const std::vector<int>& order)
{
    std::set<std::string> activations(graph.dataInputs.begin(), graph.dataInputs.end());
    for (int index : order) {
        const GraphNode& node = graph.nodes[size_t(index)];
        if (node.op == "Shape" || node.op == "Size")
            continue;
        const bool readsActivation = std::any_of(node.inputs.begin(), node.inputs.end(), [&](const std::string& input) {
            return activations.count(input) > 0;
        });
        if (readsActivation)
            for (const std::string& output : node.outputs)
                if (!output.empty())
                    activations.insert(output);
    }
    return activations;
}

bool isPermutation(const std::vector<int64_t>& perm, size_t rank)
{
    std::vector<bool> seen(rank, false);
    for (int64_t axis : perm) {
        if (axis < 0 || axis >= int64_t(rank) || seen[size_t(axis)])
            return false;
        seen[size_t(axis)] = true;
    }
    return perm.size() == rank;
}

// `values` of a tensor of extents `dims` with its axes permuted by `perm`
// (Transpose's: output axis i is input axis perm[i]; reversed when empty).
std::shared_ptr<const std::vector<float>> permutedValues(const std::vector<float>& values,
                                                         const std::vector<int64_t>& dims, std::vector<int64_t> perm)
{
    const size_t rank = dims.size();
    if (perm.empty())
        for (size_t axis = 0; axis < rank; ++axis)
            perm.push_back(int64_t(rank - 1 - axis));
    std::vector<int64_t> strides(rank, 1);
    for (size_t axis = rank; axis-- > 1;)
        strides[axis - 1] = strides[axis] * dims[axis];
    std::vector<int64_t> index(rank, 0);
    auto result = std::make_shared<std::vector<float>>();
    result->reserve(values.size());
    for (size_t done = 0; done < values.size(); ++done) { // output elements in order
        int64_t at = 0;
        for (size_t axis = 0; axis < rank; ++axis)
            at += index[axis] * strides[size_t(perm[axis])];
        result->push_back(values[size_t(at)]);
        for (size_t axis = rank; axis-- > 0;) {
            if (++index[axis] < dims[size_t(perm[axis])])
                break;
            index[axis] = 0;
        }
    }
    return result;
}

// PyTorch passes some weights through Identity (one tensor shared under two
// names, or two equal initial tensors merged into one by the exporter) or
// Transpose (a linear layer as MatMul): what such a node writes from a
// weight is a weight of its own under another name, starting from the
// source's values (permuted for a Transpose).
void aliasWeights(Graph& graph, const std::vector<int>& order, const std::vector<bool>& active)
{
    for (int index : order) {
        const GraphNode& node = graph.nodes[size_t(index)];
        const GraphTensor* source = node.inputs.empty() ? nullptr : graph.find(node.inputs.front());
        if (active[size_t(index)] || (node.op != "Identity" && node.op != "Transpose") || !source || !source->isWeight
            || !source->isFloat)
            continue;
        const GraphTensor weight = *source;
        for (const std::string& output : node.outputs)
            if (!output.empty()) {
                GraphTensor& alias = graph.tensors[output];
                alias.isWeight = true;
                alias.isFloat = true;
                alias.elementBytes = weight.elementBytes;
                if (!alias.rankKnown) {
                    alias.rankKnown = weight.rankKnown;
                    alias.dims = weight.dims;
                }
                const auto values = graph.weightValues.find(node.inputs.front());
                if (values == graph.weightValues.end() || !weight.rankKnown
                    || int64_t(values->second->size()) != staticElements(weight))
                    continue;
                const auto perm = node.intAttributes.find("perm");
                if (perm != node.intAttributes.end() && !isPermutation(perm->second, weight.dims.size()))
                    continue;
                graph.weightValues[output] =
                    node.op == "Identity"
                        ? values->second
                        : permutedValues(*values->second, weight.dims,
                                         perm == node.intAttributes.end() ? std::vector<int64_t>{} : perm->second);
            }
    }
}

// For each place b = 0..chain.size() (before chain[b]; the last, after the
// chain), the one activation live there (written before it and read at or
// after it), or empty where none or several are. Counted with difference
// arrays, in time linear in the graph: live tensors per place, and the sum
// of their numbers, which names the tensor where exactly one is live.
std::vector<std::string> singleLiveActivations(const Graph& graph, const std::set<std::string>& activations,
                                               const std::vector<int>& chain)
{
    const size_t length = chain.size();
    std::map<std::string, int64_t> written; // chain position of the writer; -1 for a data input
    for (const std::string& input : graph.dataInputs)
        written[input] = -1;
    std::map<std::string, int64_t> lastRead;
    for (size_t at = 0; at < length; ++at) {
        const GraphNode& node = graph.nodes[size_t(chain[at])];
        for (const std::string& output : node.outputs)
            if (!output.empty())
                written[output] = int64_t(at);
        for (const std::string& input : node.inputs)
            if (activations.count(input))
                lastRead[input] = int64_t(at);
    }
    for (const std::string& output : graph.outputs)
        if (activations.count(output))
            lastRead[output] = int64_t(length); // read after the last node
    std::vector<const std::string*> numbered;
    std::vector<int64_t> liveDelta(length + 2, 0), numberDelta(length + 2, 0);
    for (const auto& [name, last] : lastRead) {
        const int64_t first = std::max<int64_t>(written.at(name) + 1, 0); // live at places first..last
        if (first > last)
            continue;
        ++liveDelta[size_t(first)];
        --liveDelta[size_t(last) + 1];
        numberDelta[size_t(first)] += int64_t(numbered.size());
        numberDelta[size_t(last) + 1] -= int64_t(numbered.size());
        numbered.push_back(&name);
    }
    std::vector<std::string> crossing(length + 1);
    int64_t count = 0, number = 0;
    for (size_t place = 0; place <= length; ++place) {
        count += liveDelta[place];
        number += numberDelta[place];
        if (count == 1)
            crossing[place] = *numbered[size_t(number)];
    }
    return crossing;
}

// Nodes of weights and shapes (not active) join the unit of their first
// reader in the chain; one read by nothing joins the last unit.
void attachSideNodes(const Graph& graph, const std::vector<int>& order, const std::vector<bool>& active,
                     std::vector<GraphUnit>& units)
{
    std::vector<int> unitOf(graph.nodes.size(), -1);
    for (int u = 0; u < int(units.size()); ++u)
        for (int node : units[size_t(u)].nodes)
            unitOf[size_t(node)] = u;
    std::map<std::string, std::vector<int>> readers;
    for (int index = 0; index < int(graph.nodes.size()); ++index)
        for (const std::string& input : graph.nodes[size_t(index)].inputs)
            readers[input].push_back(index);
    for (auto it = order.rbegin(); it != order.rend(); ++it) { // readers first
        const int index = *it;
        if (active[size_t(index)])
            continue;
        int first = int(units.size()) - 1;
        for (const std::string& output : graph.nodes[size_t(index)].outputs)
            for (int reader : readers[output])
                if (unitOf[size_t(reader)] >= 0)
                    first = std::min(first, unitOf[size_t(reader)]);
        unitOf[size_t(index)] = first;
    }
    for (GraphUnit& unit : units)
        unit.nodes.clear();
    for (int index : order)
        units[size_t(unitOf[size_t(index)])].nodes.push_back(index);
}

} // namespace

ImportedModel unitsFromGraph(Graph graph)
{
    ImportedModel model;
    const std::map<std::string, int> producer = producersOf(graph);
    const std::vector<int> order = topologicalOrder(graph, producer);
    const std::set<std::string> activations = markActivations(graph, order);
    std::vector<bool> active(graph.nodes.size(), false);
    for (int index = 0; index < int(graph.nodes.size()); ++index)
        for (const std::string& output : graph.nodes[size_t(index)].outputs)
            active[size_t(index)] = active[size_t(index)] || activations.count(output) > 0;
    aliasWeights(graph, order, active);
    std::vector<int> chain; // the active nodes in order; cuts fall between them
    for (int index : order)
        if (active[size_t(index)])
            chain.push_back(index);
    if (chain.empty())
        throw FileError(graph.source + ": no node reads the data input" + (graph.dataInputs.size() > 1 ? "s" : ""));

    // Units end where one activation is live.
    const std::vector<std::string> crossing = singleLiveActivations(graph, activations, chain);
    GraphUnit unit;
    for (size_t at = 0; at < chain.size(); ++at) {
        unit.nodes.push_back(chain[at]);
        if (at + 1 < chain.size() && !crossing[at + 1].empty()) {
            unit.output = crossing[at + 1];
            model.units.push_back(std::move(unit));
            unit = GraphUnit();
        }
    }
    unit.output = graph.outputs.front();
    model.units.push_back(std::move(unit));
    mergeTrailingActivations(graph, active, model.units);
    mergeDecomposedLayerNorms(graph, active, model.units);
    attachSideNodes(graph, order, active, model.units);

    for (GraphUnit& each : model.units) {
        int only = -1;
        for (int node : each.nodes)
            if (active[size_t(node)]) {
                ++each.operations;
                each.operationNodes.push_back(node);
                only = node;
            }
        if (each.kind.empty())
            each.kind = each.operations == 1 ? graph.nodes[size_t(only)].op : "Block";
        each.description =
            each.operations == 1 ? graph.nodes[size_t(only)].name : describeOps(graph, each.nodes, active);
        costUnit(graph, activations, each);
        model.largestUnitOperations = std::max(model.largestUnitOperations, each.operations);
        model.operations += each.operations;
    }
    for (const std::string& input : graph.dataInputs)
        addBytes(graph, model.inputBytesPerSample, bytesPerSample(graph, input));
    for (int index : chain) { // shape arithmetic is evaluated once, not trained
        const GraphNode& node = graph.nodes[size_t(index)];
        if (!isTrainedOp(node))
            model.untrainedOps[(node.domain.empty() ? "" : node.domain + ".") + node.op].push_back(node.name);
    }
    model.graph = std::move(graph);
    return model;
}

} // namespace lpm
