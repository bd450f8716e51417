// The operations of an imported graph, one ONNX node each, with a forward
// and a backward on host memory: what a merged unit (graph_unit_layer.h)
// runs node by node. Tensors are float32, row-major, of any rank, batch
// included wherever the graph put it.
//
// Shapes come from the inputs at run time (a broadcast, a matrix product, a
// convolution, a Slice's bounds), except for the reshaping ops (Reshape,
// Flatten, Squeeze, Unsqueeze) and Split, which take the shapes shape
// inference gave their outputs, with the batch put in.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "graph/graph.h"
#include "nn/layer.h"

namespace lpm {

using Dims = std::vector<int64_t>;

// Product of the extents (1 for a scalar); InvalidArgument for a negative
// extent or a product beyond int64.
int64_t elementCountOf(const Dims& dims);
// "(2, 16, 28, 28)".
std::string formatDims(const Dims& dims);

// A tensor seen by an op: its extents and its floats (null for an absent
// optional input, or one the op does not read). Integer tensors (indices,
// bounds, a Where's condition) arrive as floats holding whole numbers.
struct OpTensor {
    Dims dims;
    float* data = nullptr;
};

// What an op keeps from its forward for its backward (batch-norm
// statistics, a max pool's argmax); each op derives its own.
struct OpState {
    virtual ~OpState() = default;
};

struct OpCall {
    Backend& backend;
    const StepInfo& step;
    std::vector<OpTensor> inputs;
    std::vector<OpTensor> outputs; // allocated by the caller with outputDims' extents
    std::unique_ptr<OpState>& state;
    // Backward only: the gradient of each output (never null), and where to
    // add each input's gradient (null where none is needed).
    std::vector<const float*> outputGrads;
    std::vector<float*> inputGrads;
};

class GraphOp {
public:
    virtual ~GraphOp() = default;
    // The outputs' extents for inputs of these extents (an absent input has
    // none) in a step of `batch` samples; throws InvalidArgument naming the
    // node when they do not fit.
    virtual std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t batch) const = 0;
    // The same from the inputs themselves, for an op whose output's extents
    // depend on an input's values (Slice's bounds); the unit calls this one.
    virtual std::vector<Dims> outputDimsOf(const std::vector<OpTensor>& inputs, int64_t batch) const
    {
        std::vector<Dims> dims;
        for (const OpTensor& input : inputs)
            dims.push_back(input.dims);
        return outputDims(dims, batch);
    }
    // How many leading inputs must be float values the unit holds (a data
    // input, a weight, a constant) when the node has `given` inputs: the
    // rest are optional, or shapes and axes taken from the graph.
    virtual size_t requiredInputs(size_t /*given*/) const { return 1; }
    // False for an input the op does not read (a Reshape's target shape,
    // which the op takes from shape inference instead).
    virtual bool readsInput(size_t /*input*/) const { return true; }
    // False for an input the output does not depend on smoothly (indices,
    // a condition, a Clip bound): no gradient goes there.
    virtual bool differentiable(size_t /*input*/) const { return true; }
    // Writes every output. An op whose input is a running statistic (batch
    // normalisation's inputs 3 and 4) updates it in place in a training
    // step that is not a recomputation.
    virtual void forward(OpCall& call) = 0;
    // Adds (+=) to each non-null call.inputGrads[i] the gradient of the loss
    // with respect to input i, from call.outputGrads and what the forward
    // left: call.inputs and call.outputs hold the forward's values.
    virtual void backward(OpCall& call) = 0;
};

// How a weight input of a node starts when the file has no values for it,
// and whether it is a trained parameter or a running statistic.
struct WeightRole {
    bool runningStatistic = false; // batch normalisation's mean (0) or variance (1)
    ParameterInit init = ParameterInit::UniformFanIn;
    int64_t fanIn = 1;
    float initialValue = 0.0f; // running statistics only
    float averagingMomentum = 0.0f;
};
WeightRole weightRoleOf(const Graph& graph, const GraphNode& node, size_t input);

// The op of `node`, or InvalidArgument naming the node and what is not
// supported (an op outside the set, or an attribute value it lacks).
std::unique_ptr<GraphOp> makeGraphOp(const Graph& graph, const GraphNode& node);

// The ops makeGraphOp builds, and the same for messages: "Add, AveragePool, ...".
const std::set<std::string>& graphOpNames();
std::string graphOpsTrained();

// Extents of `tensor` for a batch of `batch`: the batch dimension put in,
// and one unknown extent, if any, solved from `elements` (the count the
// tensor must hold); InvalidArgument naming the tensor when that fails.
Dims dimsAtBatch(const GraphTensor& tensor, int64_t batch, int64_t elements);

} // namespace lpm
