// Per-sample cost of one graph node, from the shapes shape inference gave:
// the FLOPs of its forward and backward and whether they are only an
// estimate. Known ops have a formula (a convolution's multiply–adds, a
// pool's window, an elementwise pass); an op without one is estimated at one
// FLOP per output element and marked so.
#pragma once

#include <cstddef>

#include "graph/graph.h"

namespace lpm {

struct NodeCost {
    double forwardFlops = 0.0;  // multiply–adds count as 2
    double backwardFlops = 0.0; // input gradients plus parameter gradients
    double weightGradientFlops = 0.0;
    bool estimated = false; // no formula for this op (or a shape it needs is unknown)
};

// True for the ops training covers (graph_ops.h: the import issue's list
// with the decomposed LayerNorm and GELU patterns and PyTorch's causal
// mask, and the shape arithmetic folded into constants); the rest can be
// planned only.
bool isTrainedOp(const GraphNode& node);

// True when input `index` of `node` is where a trained parameter goes
// (a convolution's or linear layer's weight and bias, a normalisation's
// scale and shift, an embedding's table, an elementwise op's bias), the
// figures the zoo's layers count as parameters.
bool readsParameter(const GraphNode& node, size_t index);

// True for ops that only move, index or reshape data (no arithmetic).
bool movesDataOnly(const GraphNode& node);

NodeCost estimateNodeCost(const Graph& graph, const GraphNode& node);

} // namespace lpm
