// Helpers of the ONNX import tests (test_graph_units, test_graph_ops,
// test_onnx_import).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "graph/graph_units.h"

namespace lpm {

// Builds graphs of float tensors with a batch dimension first.
class GraphBuilder {
public:
    GraphBuilder()
    {
        graph_.source = "test.onnx";
        graph_.opset = 13;
    }
    GraphBuilder& input(const std::string& name, std::vector<int64_t> sample)
    {
        graph_.dataInputs.push_back(name);
        return activation(name, std::move(sample));
    }
    GraphBuilder& weight(const std::string& name, std::vector<int64_t> dims)
    {
        GraphTensor tensor{name, std::move(dims), true};
        tensor.isWeight = true;
        graph_.tensors[name] = tensor;
        return *this;
    }
    // A node writing `output` of one sample's shape `sample`.
    GraphBuilder& node(const std::string& op, std::vector<std::string> inputs, const std::string& output,
                       std::vector<int64_t> sample)
    {
        return node(op, std::move(inputs), std::vector<std::string>{output}, {std::move(sample)});
    }
    GraphBuilder& shapeNode(const std::string& op, std::vector<std::string> inputs, const std::string& output)
    {
        addNode(op, std::move(inputs), {output});
        GraphTensor tensor{output, {2}, true};
        tensor.elementBytes = 8;
        tensor.isFloat = false;
        graph_.tensors[output] = tensor;
        return *this;
    }
    // A fixed float constant (a Constant node's output), of extents `dims` ({} for a scalar).
    GraphBuilder& constant(const std::string& name, std::vector<float> values, std::vector<int64_t> dims = {})
    {
        graph_.tensors[name] = GraphTensor{name, std::move(dims), true};
        graph_.weightValues[name] = std::make_shared<const std::vector<float>>(std::move(values));
        return *this;
    }
    // Attributes of the node added last.
    GraphBuilder& ints(const std::string& name, std::vector<int64_t> values)
    {
        graph_.nodes.back().intAttributes[name] = std::move(values);
        return *this;
    }
    GraphBuilder& real(const std::string& name, float value)
    {
        graph_.nodes.back().floatAttributes[name] = value;
        return *this;
    }
    // A node with several outputs, each of one sample's shape.
    GraphBuilder& node(const std::string& op, std::vector<std::string> inputs, std::vector<std::string> outputs,
                       std::vector<std::vector<int64_t>> samples)
    {
        addNode(op, std::move(inputs), outputs);
        for (size_t i = 0; i < outputs.size(); ++i)
            activation(outputs[i], samples[i]);
        return *this;
    }
    Graph output(const std::string& name)
    {
        graph_.outputs = {name};
        return graph_;
    }

private:
    // A node named after its first output.
    void addNode(const std::string& op, std::vector<std::string> inputs, std::vector<std::string> outputs)
    {
        GraphNode node;
        node.name = outputs.front() + "_node";
        node.op = op;
        node.inputs = std::move(inputs);
        node.outputs = std::move(outputs);
        graph_.nodes.push_back(std::move(node));
    }
    GraphBuilder& activation(const std::string& name, std::vector<int64_t> sample)
    {
        sample.insert(sample.begin(), GraphTensor::kBatchDimension);
        graph_.tensors[name] = GraphTensor{name, std::move(sample), true};
        return *this;
    }
    Graph graph_;
};

// Every unit's kind, in chain order: "Conv", "Block", "LayerNormalization", ...
inline std::vector<std::string> kinds(const ImportedModel& model)
{
    std::vector<std::string> result;
    for (const GraphUnit& unit : model.units)
        result.push_back(unit.kind);
    return result;
}

} // namespace lpm
