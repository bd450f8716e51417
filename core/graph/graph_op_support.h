// What the graph ops (graph_ops.cpp, graph_spatial_ops.cpp) share: reading
// a node's attributes, refusing what an op lacks, and walking a broadcast.
#pragma once

#include <string>
#include <vector>

#include "graph/graph_ops.h"

namespace lpm::graph_ops {

// "<file>: node '<name>' (<op>)": where a message points (an op keeps it,
// not the graph, which may not outlive it).
std::string whereOf(const Graph& graph, const GraphNode& node);
// InvalidArgument "<where>: <why>".
[[noreturn]] void refuse(const std::string& where, const std::string& why);
[[noreturn]] void refuse(const Graph& graph, const GraphNode& node, const std::string& why);

int64_t intAttribute(const GraphNode& node, const std::string& name, int64_t fallback);
std::vector<int64_t> intsAttribute(const GraphNode& node, const std::string& name);
float floatAttribute(const GraphNode& node, const std::string& name, float fallback);

// An axis attribute in [0, rank), a negative one counted from the end.
int64_t normalizedAxis(int64_t axis, size_t rank);

// The NumPy broadcast of two extents lists, or empty with ok = false when
// they do not broadcast.
Dims broadcastDims(const Dims& a, const Dims& b, bool& ok);

// broadcastDims of two operands, or InvalidArgument at `where` naming them.
Dims broadcastOrRefuse(const std::string& where, const Dims& a, const Dims& b);

// Strides for reading a tensor of extents `dims` at an index into `out`
// (dims right-aligned to out's rank): 0 along the axes it is broadcast on.
std::vector<int64_t> broadcastStrides(const Dims& dims, const Dims& out);

// Calls visit(outIndex, aOffset, bOffset) for every element of `out` in
// row-major order, the offsets into two operands read at strides sa and sb
// (broadcastStrides).
template <typename Visit>
void forEachBroadcast(const Dims& out, const std::vector<int64_t>& sa, const std::vector<int64_t>& sb, Visit&& visit)
{
    const int64_t total = elementCountOf(out);
    if (total == 0)
        return;
    const int rank = int(out.size());
    const int64_t inner = rank > 0 ? out[size_t(rank - 1)] : 1;
    const int64_t innerA = rank > 0 ? sa[size_t(rank - 1)] : 0, innerB = rank > 0 ? sb[size_t(rank - 1)] : 0;
    std::vector<int64_t> index(out.size(), 0);
    int64_t a = 0, b = 0;
    for (int64_t o = 0; o < total; o += inner) {
        for (int64_t i = 0; i < inner; ++i)
            visit(o + i, a + i * innerA, b + i * innerB);
        for (int axis = rank - 2; axis >= 0; --axis) {
            const auto at = size_t(axis);
            ++index[at];
            a += sa[at];
            b += sb[at];
            if (index[at] < out[at])
                break;
            a -= sa[at] * out[at];
            b -= sb[at] * out[at];
            index[at] = 0;
        }
    }
}

// gradient += values (count floats); gradient may be null (nothing to do).
void addInto(float* gradient, const float* values, int64_t count);

// The ops of graph_indexing_ops.cpp (Gather, Slice, Equal, Where, Cast),
// or null when `node` is none of them.
std::unique_ptr<GraphOp> makeIndexingOp(const Graph& graph, const GraphNode& node);

// An index held in a float (integer tensors reach the ops as floats),
// clamped to ±2^40 (ONNX writes "to the end" as INT64_MAX).
int64_t indexOf(float value);

// The ops of graph_spatial_ops.cpp (Conv, ConvTranspose, BatchNormalization,
// LayerNormalization, MaxPool, AveragePool, GlobalAveragePool), or null
// when `node` is none of them.
std::unique_ptr<GraphOp> makeSpatialOp(const Graph& graph, const GraphNode& node);

} // namespace lpm::graph_ops
