// A merged unit of an imported graph (a residual, inception or attention
// block, graph_units.h) as one Layer: it runs the unit's nodes in order with
// the graph ops (graph_ops.h), keeps every value for the backward, and walks
// the nodes back to front adding gradients. One tensor enters (the
// activation before the cut) and one leaves.
//
// The unit's float initializers are its parameters, named as in the file
// ("blocks.0.conv1.weight"), starting from the file's values where it has
// them; batch normalisation's running statistics are its buffers. A
// Constant node, a folded integer tensor (positions, slice bounds), a scalar
// initializer, or a weight no gradient reaches (a causal mask under a
// comparison) is a fixed constant. Nodes outside the unit's operations run
// when an operation reads what they compute. The ops run on host memory:
// the CPU backend only, for now.
//
// The backward's first half (B) computes every gradient and keeps the
// parameters' in the context; the second (W) adds them to the parameters'
// gradients. The fused backward is B then W, so the two agree bit for bit.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "graph/graph_ops.h"
#include "graph/graph_units.h"
#include "nn/layer.h"

namespace lpm {

class GraphUnitLayer final : public Layer {
public:
    // Throws InvalidArgument naming the node when an op is not supported,
    // or the unit's input or output is not batch-first.
    GraphUnitLayer(const Graph& graph, const GraphUnit& unit, const std::string& input);
    ~GraphUnitLayer() override;

    std::string kind() const override { return "GraphUnit"; }
    std::string describe() const override { return description_; }
    Shape outputShape(const Shape& input) const override;
    UnitCost cost(const Shape& /*input*/) const override { return cost_; }

    Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                   std::unique_ptr<LayerContext>& context) override;
    Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    Tensor backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    void backwardWeights(Backend& backend, LayerContext& context) override;

private:
    // Where a value comes from.
    enum class Source { Input, Parameter, Buffer, Constant, Computed, Weight /* held, kind not yet decided */ };
    struct Value {
        std::string name;
        Source source = Source::Computed;
        int slot = -1; // into parameters_, buffers_ or constants_
        Dims dims;     // parameters, buffers and constants
        // Computed values: what shape inference said of the tensor (no rank
        // when it said nothing), which each forward holds the op to.
        GraphTensor inferred;
    };
    struct Step {
        std::unique_ptr<GraphOp> op;
        std::vector<int> inputs;  // value indices; -1 for an absent input or one the op does not read (shapes)
        std::vector<int> outputs; // -1 for an output nothing in the unit reads and the unit does not give
        std::string node;
    };
    struct Reader { // the first node reading a held tensor
        int value;
        const GraphNode* node;
        size_t input;
    };
    struct Context;

    // Makes a held tensor a parameter (`trained`), a running statistic or a
    // constant, by how its first reader uses it.
    void holdWeight(const Graph& graph, const Reader& reader, bool trained);
    // Runs every step, leaving every value and op state in `context`.
    Tensor run(Backend& backend, Tensor input, const StepInfo& step, Context& context);

    std::string description_;
    UnitCost cost_;
    std::vector<Value> values_;
    std::vector<Step> steps_;
    std::vector<ParameterSlot*> parameters_;
    std::vector<BufferSlot*> buffers_;
    std::vector<std::shared_ptr<const std::vector<float>>> constants_;
    int input_ = -1, output_ = -1;
    Dims inputDims_, outputDims_; // as shape inference gave them (the batch a kBatchDimension)
};

} // namespace lpm
