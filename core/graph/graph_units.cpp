#include "graph/graph_units.h"

#include <algorithm>
#include <cmath>
#include <functional>
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

} // namespace

ImportedModel unitsFromGraph(Graph graph)
{
    ImportedModel model;
    const std::map<std::string, int> producer = producersOf(graph);
    model.order = topologicalOrder(graph, producer);

    // Activations, in order: a data input, or what a node writes from one
    // (Shape and Size read only the shape, which the batch size fixes).
    std::set<std::string> activations(graph.dataInputs.begin(), graph.dataInputs.end());
    std::vector<bool> active(graph.nodes.size(), false);
    for (int index : model.order) {
        const GraphNode& node = graph.nodes[size_t(index)];
        if (node.op == "Shape" || node.op == "Size")
            continue;
        for (const std::string& input : node.inputs)
            active[size_t(index)] = active[size_t(index)] || activations.count(input) > 0;
        if (active[size_t(index)])
            for (const std::string& output : node.outputs)
                if (!output.empty())
                    activations.insert(output);
    }
    // PyTorch passes some weights through Identity (one tensor shared under
    // two names) or Transpose (a linear layer as MatMul): what such a node
    // writes from a weight is that weight under another name.
    for (int index : model.order) {
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
                alias.hasValues = weight.hasValues;
                alias.elementBytes = weight.elementBytes;
                if (!alias.rankKnown) {
                    alias.rankKnown = weight.rankKnown;
                    alias.dims = weight.dims;
                }
            }
    }
    std::vector<int> chain; // the active nodes in order; cuts fall between them
    for (int index : model.order)
        if (active[size_t(index)])
            chain.push_back(index);
    if (chain.empty())
        throw FileError(graph.source + ": no node reads the data input" + (graph.dataInputs.size() > 1 ? "s" : ""));

    // live[b]: activations written before chain position b and read at or after it.
    const int length = int(chain.size());
    std::vector<int> position(graph.nodes.size(), -1);
    for (int at = 0; at < length; ++at)
        position[size_t(chain[size_t(at)])] = at;
    std::map<std::string, int> written; // chain position of the writer; -1 for a data input
    for (const std::string& input : graph.dataInputs)
        written[input] = -1;
    std::map<std::string, int> lastRead;
    for (int at = 0; at < length; ++at) {
        const GraphNode& node = graph.nodes[size_t(chain[size_t(at)])];
        for (const std::string& output : node.outputs)
            if (!output.empty())
                written[output] = at;
        for (const std::string& input : node.inputs)
            if (activations.count(input))
                lastRead[input] = at;
    }
    for (const std::string& output : graph.outputs)
        if (activations.count(output))
            lastRead[output] = length; // read after the last node
    // Counted with difference arrays, in time linear in the graph: live
    // tensors per boundary, and the sum of their numbers, which names the
    // tensor where exactly one is live.
    std::vector<const std::string*> numbered;
    std::vector<int64_t> liveDelta(size_t(length) + 2, 0), numberDelta(size_t(length) + 2, 0);
    for (const auto& [name, last] : lastRead) {
        const int first = std::max(written.at(name) + 1, 0); // live at boundaries first..last
        if (first > last)
            continue;
        ++liveDelta[size_t(first)];
        --liveDelta[size_t(last) + 1];
        numberDelta[size_t(first)] += int64_t(numbered.size());
        numberDelta[size_t(last) + 1] -= int64_t(numbered.size());
        numbered.push_back(&name);
    }
    std::vector<int64_t> live(size_t(length) + 1, 0);
    std::vector<std::string> crossing(size_t(length) + 1);
    for (int64_t boundary = 0, count = 0, number = 0; boundary <= length; ++boundary) {
        count += liveDelta[size_t(boundary)];
        number += numberDelta[size_t(boundary)];
        live[size_t(boundary)] = count;
        if (count == 1)
            crossing[size_t(boundary)] = *numbered[size_t(number)];
    }

    // Units end where one activation is live.
    GraphUnit unit;
    for (int at = 0; at < length; ++at) {
        unit.nodes.push_back(chain[size_t(at)]);
        const int boundary = at + 1;
        if (boundary < length && live[size_t(boundary)] == 1) {
            unit.output = crossing[size_t(boundary)];
            model.units.push_back(std::move(unit));
            unit = GraphUnit();
        }
    }
    unit.output = graph.outputs.front();
    model.units.push_back(std::move(unit));
    mergeTrailingActivations(graph, active, model.units);
    mergeDecomposedLayerNorms(graph, active, model.units);

    // Nodes of weights and shapes join the unit of their first reader in the chain.
    std::vector<int> unitOf(graph.nodes.size(), -1);
    for (int u = 0; u < int(model.units.size()); ++u)
        for (int node : model.units[size_t(u)].nodes)
            unitOf[size_t(node)] = u;
    std::map<std::string, std::vector<int>> readers;
    for (int index = 0; index < int(graph.nodes.size()); ++index)
        for (const std::string& input : graph.nodes[size_t(index)].inputs)
            readers[input].push_back(index);
    for (auto it = model.order.rbegin(); it != model.order.rend(); ++it) { // readers first
        const int index = *it;
        if (active[size_t(index)])
            continue;
        int first = int(model.units.size()) - 1; // read by nothing: the last unit
        for (const std::string& output : graph.nodes[size_t(index)].outputs)
            for (int reader : readers[output])
                if (unitOf[size_t(reader)] >= 0)
                    first = std::min(first, unitOf[size_t(reader)]);
        unitOf[size_t(index)] = first;
    }
    for (auto& each : model.units)
        each.nodes.clear();
    for (int index : model.order)
        model.units[size_t(unitOf[size_t(index)])].nodes.push_back(index);

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
