#include "graph/op_costs.h"

#include <set>
#include <string>

#include "graph/graph_ops.h"

namespace lpm {

namespace {

// The shape arithmetic the import folds into constants: trained in the
// sense that it never reaches the graph ops.
const std::set<std::string>& foldedOps()
{
    static const std::set<std::string> ops = {"Shape", "Size", "Constant", "ConstantOfShape", "Range"};
    return ops;
}

// Ops that only move or index data, or compute shapes: no arithmetic.
const std::set<std::string>& movementOps()
{
    static const std::set<std::string> ops = {"Concat",  "Split",     "Flatten",  "Reshape",  "Transpose",
                                              "Squeeze", "Unsqueeze", "Identity", "Gather",   "Slice",
                                              "Expand",  "Cast",      "Shape",    "Constant", "ConstantOfShape",
                                              "Range",   "Size",      "Pad",      "Tile"};
    return ops;
}

// Ops with one (or a few) FLOPs per output element, forward and backward alike.
const std::set<std::string>& elementwiseOps()
{
    static const std::set<std::string> ops = {
        "Relu",     "LeakyRelu", "Clip",       "Sigmoid", "Tanh",    "Gelu",        "Erf",       "Add", "Sub",
        "Mul",      "Div",       "Pow",        "Sqrt",    "Neg",     "Exp",         "Log",       "Abs", "Where",
        "Equal",    "Less",      "Greater",    "Not",     "Dropout", "HardSigmoid", "HardSwish", "Elu", "Selu",
        "Softplus", "PRelu",     "Reciprocal", "Min",     "Max",     "Sum",         "Mean"};
    return ops;
}

double samples(const Graph& graph, const std::string& name)
{
    const GraphTensor* tensor = graph.find(name);
    return tensor ? double(elementsPerSample(*tensor)) : -1.0;
}

const GraphTensor* tensorAt(const Graph& graph, const std::vector<std::string>& names, size_t index)
{
    return index < names.size() && !names[index].empty() ? graph.find(names[index]) : nullptr;
}

// In double: a file may state dimensions whose product overflows int64.
double product(const std::vector<int64_t>& values, size_t from)
{
    double result = 1.0;
    for (size_t i = from; i < values.size(); ++i)
        result *= double(values[i]);
    return result;
}

bool weightIsParameter(const Graph& graph, const GraphNode& node, size_t index)
{
    const GraphTensor* tensor = tensorAt(graph, node.inputs, index);
    return tensor && tensor->isWeight && tensor->isFloat;
}

} // namespace

bool isTrainedOp(const GraphNode& node)
{
    return node.domain.empty() && (graphOpNames().count(node.op) > 0 || foldedOps().count(node.op) > 0);
}

bool movesDataOnly(const GraphNode& node)
{
    return node.domain.empty() && movementOps().count(node.op) > 0;
}

bool readsParameter(const GraphNode& node, size_t index)
{
    const std::string& op = node.op;
    if (op == "Conv" || op == "ConvTranspose" || op == "Gemm" || op == "MatMul")
        return index == 1 || index == 2;
    if (op == "BatchNormalization" || op == "LayerNormalization" || op == "InstanceNormalization")
        return index == 1 || index == 2; // scale and shift; BN's running statistics are buffers
    if (op == "Gather")
        return index == 0; // an embedding's table
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "PRelu")
        return true; // a bias or scale, when the input is a weight
    return false;
}

NodeCost estimateNodeCost(const Graph& graph, const GraphNode& node)
{
    NodeCost cost;
    const double out = node.outputs.empty() ? -1.0 : samples(graph, node.outputs.front());
    const double in = node.inputs.empty() ? -1.0 : samples(graph, node.inputs.front());
    const std::string& op = node.op;
    if (!node.domain.empty()) {
        cost.estimated = true;
    } else if (op == "Conv" || op == "ConvTranspose") {
        // Weight (Cout, Cin/groups, k...) for Conv: 2·k·Cin/groups per output
        // element; (Cin, Cout/groups, k...) for ConvTranspose: per input element.
        const GraphTensor* weight = tensorAt(graph, node.inputs, 1);
        const double elements = op == "Conv" ? out : in;
        if (weight && weight->rankKnown && staticElements(*weight) > 0 && elements >= 0) {
            cost.forwardFlops = 2.0 * elements * product(weight->dims, 1); // the bias add not counted, as in nn/
            const bool parameter = weightIsParameter(graph, node, 1);
            cost.weightGradientFlops = parameter ? cost.forwardFlops : 0.0;
            cost.backwardFlops = cost.forwardFlops + cost.weightGradientFlops;
            return cost;
        }
        cost.estimated = true;
    } else if (op == "Gemm" || op == "MatMul") {
        // 2·K per output element, K the contracted dimension of the first operand.
        const GraphTensor* a = tensorAt(graph, node.inputs, 0);
        const bool transposed = node.intAttributes.count("transA") && node.intAttributes.at("transA").front() != 0;
        if (a && a->rankKnown && !a->dims.empty() && out >= 0) {
            const int64_t k = transposed ? a->dims.front() : a->dims.back();
            if (k > 0) {
                cost.forwardFlops = 2.0 * out * double(k);
                const bool parameter = weightIsParameter(graph, node, 1);
                cost.weightGradientFlops = parameter ? cost.forwardFlops : 0.0;
                // Two activations multiplied (attention): both get gradients, neither is a weight.
                cost.backwardFlops = 2.0 * cost.forwardFlops;
                return cost;
            }
        }
        cost.estimated = true;
    } else if (op == "MaxPool" || op == "AveragePool") {
        const auto kernel = node.intAttributes.find("kernel_shape");
        if (kernel != node.intAttributes.end() && out >= 0) {
            cost.forwardFlops = out * product(kernel->second, 0);
            cost.backwardFlops = cost.forwardFlops;
            return cost;
        }
        cost.estimated = true;
    } else if (op == "GlobalAveragePool" || op == "GlobalMaxPool" || op == "ReduceMean" || op == "ReduceSum") {
        cost.forwardFlops = in >= 0 ? in : 0.0;
        cost.backwardFlops = cost.forwardFlops;
        cost.estimated = in < 0;
        return cost;
    } else if (op == "BatchNormalization" || op == "LayerNormalization" || op == "InstanceNormalization"
               || op == "Softmax" || op == "LogSoftmax") {
        // Mean, variance, normalise, scale and shift: about 5 FLOPs an element
        // forward and twice that backward (a softmax's max, exp, sum, divide alike).
        cost.forwardFlops = out >= 0 ? 5.0 * out : 0.0;
        cost.backwardFlops = 2.0 * cost.forwardFlops;
        cost.estimated = out < 0;
        return cost;
    } else if (movementOps().count(op)) {
        return cost;
    } else if (elementwiseOps().count(op)) {
        cost.forwardFlops = out >= 0 ? out : 0.0;
        cost.backwardFlops = cost.forwardFlops;
        cost.estimated = out < 0;
        return cost;
    } else {
        cost.estimated = true;
    }
    // No formula: one FLOP per output element each way.
    cost.forwardFlops = out >= 0 ? out : 0.0;
    cost.backwardFlops = cost.forwardFlops;
    return cost;
}

} // namespace lpm
