// From a graph to a chain of units (DESIGN §1.5): the nodes are ordered
// topologically and a cut may fall only where exactly one activation tensor
// is live; everything between two such places is one unit. A residual,
// inception or attention block thus becomes one unit; a network with long
// skip connections (U-Net) keeps few places to cut, and says so through
// ImportedModel::largestUnitOperations rather than failing.
//
// Activations are the tensors that depend on a data input through anything
// but a Shape or Size op. Weights, constants and the shape arithmetic PyTorch
// exports around its reshapes are not: they are never live across a cut,
// and a node computing only such values joins the unit of its first reader.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "nn/unit_cost.h"

namespace lpm {

struct GraphUnit {
    std::vector<int> nodes; // indices into Graph::nodes, in the order they run
    std::string output;     // the one activation crossing the cut after this unit (the graph's output last)
    std::string kind;       // the op of a one-op unit, "LayerNormalization" for its decomposed pattern, else "Block"
    int operations = 0;     // nodes that compute on activations (not weights or shapes)
    std::vector<int> operationNodes; // those nodes, in the order they run
    // A one-op unit's node name; a block's ops by count in order of
    // appearance, e.g. "Conv x3, BatchNormalization x3, Relu x3, Add".
    std::string description;
    UnitCost cost;          // per sample, from op_costs.h
    bool estimated = false; // some node's cost is an estimate (no formula, or a shape unknown)
};

struct ImportedModel {
    Graph graph;
    std::vector<GraphUnit> units;    // the chain
    int64_t inputBytesPerSample = 0; // all data inputs, one sample
    int operations = 0;              // nodes that compute on activations, all units
    int largestUnitOperations = 0;   // those of the unit with the most
    // Ops outside the set training covers (op_costs.h isTrainedOp) among the
    // nodes computing on activations, each with the names of those nodes.
    std::map<std::string, std::vector<std::string>> untrainedOps;
};

// Throws FileError naming graph.source and the node when a node reads a
// tensor nothing defines (a missing initializer or input), two nodes write
// one tensor, the nodes form a cycle, or the graph has no output or none an
// activation reaches.
ImportedModel unitsFromGraph(Graph graph);

} // namespace lpm
