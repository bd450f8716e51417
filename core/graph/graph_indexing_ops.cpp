// The graph ops that index and select: Gather (an embedding's lookup, a
// position table's rows), Slice, Equal, Where and Cast, as PyTorch exports
// them around a transformer's embeddings and its causal mask. Integer
// tensors (indices, bounds, conditions) reach them as floats holding whole
// numbers.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "graph/graph_op_support.h"
#include "tensor/error.h"

namespace lpm::graph_ops {

int64_t indexOf(float value)
{
    constexpr double kLimit = double(int64_t(1) << 40);
    return int64_t(std::clamp(double(value), -kLimit, kLimit));
}

namespace {

// Gather along `axis`: output = data[:axis] + indices + data[axis + 1:];
// a negative index counts from the end. The gradient goes to the data
// (an embedding table) only, row by row in order.
class GatherOp final : public GraphOp {
public:
    GatherOp(const Graph& graph, const GraphNode& node)
        : where_(whereOf(graph, node)), axis_(intAttribute(node, "axis", 0))
    {
    }

    size_t requiredInputs(size_t) const override { return 2; }
    bool differentiable(size_t input) const override { return input == 0; }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        const Dims& data = inputs[0];
        if (data.empty())
            refuse(where_, "cannot gather from a scalar");
        const auto axis = size_t(normalizedAxis(axis_, data.size()));
        Dims out(data.begin(), data.begin() + std::ptrdiff_t(axis));
        out.insert(out.end(), inputs[1].begin(), inputs[1].end());
        out.insert(out.end(), data.begin() + std::ptrdiff_t(axis) + 1, data.end());
        return {out};
    }

    void forward(OpCall& call) override
    {
        walk(call, [&](int64_t from, int64_t to, int64_t count) {
            std::memcpy(call.outputs[0].data + to, call.inputs[0].data + from, size_t(count) * sizeof(float));
        });
    }

    void backward(OpCall& call) override
    {
        float* table = call.inputGrads[0];
        if (!table)
            return;
        walk(call,
             [&](int64_t from, int64_t to, int64_t count) { addInto(table + from, call.outputGrads[0] + to, count); });
    }

private:
    // Calls copy(data offset, output offset, count) for each gathered row.
    template <typename Copy>
    void walk(const OpCall& call, Copy&& copy) const
    {
        const Dims& data = call.inputs[0].dims;
        const auto axis = size_t(normalizedAxis(axis_, data.size()));
        int64_t outer = 1, inner = 1;
        for (size_t i = 0; i < data.size(); ++i)
            (i < axis ? outer : inner) *= i == axis ? 1 : data[i];
        const int64_t extent = data[axis];
        const int64_t indices = elementCountOf(call.inputs[1].dims);
        const float* index = call.inputs[1].data;
        for (int64_t o = 0; o < outer; ++o)
            for (int64_t j = 0; j < indices; ++j) {
                const float value = index[j];
                int64_t row = indexOf(value);
                if (float(row) != value || row < -extent || row >= extent)
                    refuse(where_, "index " + std::to_string(value) + " (element " + std::to_string(j)
                                       + ") is not a whole number in [" + std::to_string(-extent) + ", "
                                       + std::to_string(extent) + ")");
                if (row < 0)
                    row += extent;
                copy((o * extent + row) * inner, (o * indices + j) * inner, inner);
            }
    }

    std::string where_;
    int64_t axis_;
};

// Slice with starts, ends, axes and steps as inputs (opset 10 on) or
// attributes (before), clamped as ONNX says.
class SliceOp final : public GraphOp {
public:
    SliceOp(const Graph& graph, const GraphNode& node)
        : where_(whereOf(graph, node)), attributes_(graph.opset < 10), starts_(intsAttribute(node, "starts")),
          ends_(intsAttribute(node, "ends")), axes_(intsAttribute(node, "axes"))
    {
    }

    size_t requiredInputs(size_t given) const override { return attributes_ ? 1 : std::min<size_t>(given, 5); }
    bool differentiable(size_t input) const override { return input == 0; }

    std::vector<Dims> outputDims(const std::vector<Dims>&, int64_t) const override
    {
        refuse(where_, "the output's extents depend on the bounds' values"); // the unit calls outputDimsOf
    }
    std::vector<Dims> outputDimsOf(const std::vector<OpTensor>& inputs, int64_t) const override
    {
        return {windowOf(inputs).extents};
    }

    void forward(OpCall& call) override
    {
        const Window window = windowOf(call.inputs);
        walk(call.inputs[0].dims, window,
             [&](int64_t o, int64_t i) { call.outputs[0].data[o] = call.inputs[0].data[i]; });
    }

    void backward(OpCall& call) override
    {
        float* dx = call.inputGrads[0];
        if (!dx)
            return;
        const Window window = windowOf(call.inputs);
        walk(call.inputs[0].dims, window, [&](int64_t o, int64_t i) { dx[i] += call.outputGrads[0][o]; });
    }

private:
    struct Window {
        Dims extents;
        std::vector<int64_t> starts, steps; // per axis of the input
    };

    std::vector<int64_t> listOf(const std::vector<OpTensor>& inputs, size_t input,
                                const std::vector<int64_t>& attribute) const
    {
        if (attributes_)
            return attribute;
        if (input >= inputs.size() || !inputs[input].data)
            return {};
        std::vector<int64_t> values;
        for (int64_t i = 0; i < elementCountOf(inputs[input].dims); ++i)
            values.push_back(indexOf(inputs[input].data[i]));
        return values;
    }

    Window windowOf(const std::vector<OpTensor>& inputs) const
    {
        const Dims& in = inputs[0].dims;
        const std::vector<int64_t> starts = listOf(inputs, 1, starts_), ends = listOf(inputs, 2, ends_);
        std::vector<int64_t> axes = listOf(inputs, 3, axes_), steps = listOf(inputs, 4, {});
        if (axes.empty())
            for (size_t axis = 0; axis < starts.size(); ++axis)
                axes.push_back(int64_t(axis));
        if (steps.empty())
            steps.assign(starts.size(), 1);
        if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
            refuse(where_, "starts, ends, axes and steps differ in length");
        Window window{in, std::vector<int64_t>(in.size(), 0), std::vector<int64_t>(in.size(), 1)};
        for (size_t k = 0; k < starts.size(); ++k) {
            const auto axis = size_t(normalizedAxis(axes[k], in.size()));
            const int64_t extent = in[axis], step = steps[k];
            if (step == 0)
                refuse(where_, "a step of 0");
            auto clampAt = [&](int64_t value, int64_t low, int64_t high) {
                return std::clamp(value < 0 ? value + extent : value, low, high);
            };
            const int64_t start = step > 0 ? clampAt(starts[k], 0, extent) : clampAt(starts[k], 0, extent - 1);
            const int64_t end = step > 0 ? clampAt(ends[k], 0, extent) : clampAt(ends[k], -1, extent - 1);
            const int64_t span = step > 0 ? end - start : start - end;
            const int64_t magnitude = step > 0 ? step : -step;
            window.extents[axis] = span <= 0 ? 0 : (span + magnitude - 1) / magnitude;
            window.starts[axis] = start;
            window.steps[axis] = step;
        }
        return window;
    }

    // Calls visit(outputIndex, inputIndex) over the output in order.
    template <typename Visit>
    static void walk(const Dims& in, const Window& window, Visit&& visit)
    {
        std::vector<int64_t> inStrides(in.size(), 1);
        for (size_t axis = in.size(); axis-- > 1;)
            inStrides[axis - 1] = inStrides[axis] * in[axis];
        int64_t base = 0;
        std::vector<int64_t> strides(in.size());
        for (size_t axis = 0; axis < in.size(); ++axis) {
            base += window.starts[axis] * inStrides[axis];
            strides[axis] = window.steps[axis] * inStrides[axis];
        }
        const std::vector<int64_t> none(in.size(), 0);
        forEachBroadcast(window.extents, strides, none, [&](int64_t o, int64_t i, int64_t) { visit(o, base + i); });
    }

    std::string where_;
    bool attributes_;
    std::vector<int64_t> starts_, ends_, axes_;
};

// Equal: 1 where the two (broadcast) operands are equal, else 0; no gradient.
class EqualOp final : public GraphOp {
public:
    EqualOp(const Graph& graph, const GraphNode& node) : where_(whereOf(graph, node)) {}

    size_t requiredInputs(size_t) const override { return 2; }
    bool differentiable(size_t) const override { return false; }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        return {broadcastOrRefuse(where_, inputs[0], inputs[1])};
    }

    void forward(OpCall& call) override
    {
        const Dims& out = call.outputs[0].dims;
        const float* a = call.inputs[0].data;
        const float* b = call.inputs[1].data;
        forEachBroadcast(
            out, broadcastStrides(call.inputs[0].dims, out), broadcastStrides(call.inputs[1].dims, out),
            [&](int64_t o, int64_t i, int64_t j) { call.outputs[0].data[o] = a[i] == b[j] ? 1.0f : 0.0f; });
    }

    void backward(OpCall&) override {}

private:
    std::string where_;
};

// Where(condition, x, y): x where the condition is non-zero, else y, all
// three broadcast; the gradient goes to the operand each element came from.
class WhereOp final : public GraphOp {
public:
    WhereOp(const Graph& graph, const GraphNode& node) : where_(whereOf(graph, node)) {}

    size_t requiredInputs(size_t) const override { return 3; }
    bool differentiable(size_t input) const override { return input > 0; }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        bool first = false, second = false;
        Dims out = broadcastDims(inputs[0], broadcastDims(inputs[1], inputs[2], first), second);
        if (!first || !second)
            refuse(where_, formatDims(inputs[0]) + ", " + formatDims(inputs[1]) + " and " + formatDims(inputs[2])
                               + " do not broadcast");
        return {out};
    }

    void forward(OpCall& call) override
    {
        const std::vector<bool> chosen = condition(call);
        const float* x = call.inputs[1].data;
        const float* y = call.inputs[2].data;
        const Dims& out = call.outputs[0].dims;
        forEachBroadcast(
            out, broadcastStrides(call.inputs[1].dims, out), broadcastStrides(call.inputs[2].dims, out),
            [&](int64_t o, int64_t i, int64_t j) { call.outputs[0].data[o] = chosen[size_t(o)] ? x[i] : y[j]; });
    }

    void backward(OpCall& call) override
    {
        const std::vector<bool> chosen = condition(call);
        float* dx = call.inputGrads[1];
        float* dy = call.inputGrads[2];
        const Dims& out = call.outputs[0].dims;
        forEachBroadcast(out, broadcastStrides(call.inputs[1].dims, out), broadcastStrides(call.inputs[2].dims, out),
                         [&](int64_t o, int64_t i, int64_t j) {
                             float* target = chosen[size_t(o)] ? (dx ? dx + i : nullptr) : (dy ? dy + j : nullptr);
                             if (target)
                                 *target += call.outputGrads[0][o];
                         });
    }

private:
    // The condition broadcast to the output, element by element.
    static std::vector<bool> condition(const OpCall& call)
    {
        const Dims& out = call.outputs[0].dims;
        std::vector<bool> chosen(size_t(elementCountOf(out)));
        const float* c = call.inputs[0].data;
        forEachBroadcast(out, broadcastStrides(call.inputs[0].dims, out), std::vector<int64_t>(out.size(), 0),
                         [&](int64_t o, int64_t i, int64_t) { chosen[size_t(o)] = c[i] != 0.0f; });
        return chosen;
    }

    std::string where_;
};

// Cast: to a float type the values pass unchanged (and so does the
// gradient); to bool they become 0 or 1, to an integer type they are
// truncated (no gradient).
class CastOp final : public GraphOp {
public:
    explicit CastOp(const GraphNode& node) : to_(intAttribute(node, "to", 1)) {}

    bool differentiable(size_t) const override { return toFloat(); }
    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override { return {inputs[0]}; }

    void forward(OpCall& call) override
    {
        const int64_t count = elementCountOf(call.inputs[0].dims);
        for (int64_t i = 0; i < count; ++i) {
            const float v = call.inputs[0].data[i];
            call.outputs[0].data[i] = toFloat() ? v : to_ == kBool ? (v != 0.0f ? 1.0f : 0.0f) : std::trunc(v);
        }
    }

    void backward(OpCall& call) override
    {
        if (toFloat())
            addInto(call.inputGrads[0], call.outputGrads[0], elementCountOf(call.inputs[0].dims));
    }

private:
    // ONNX's TensorProto data types: FLOAT 1, FLOAT16 10, DOUBLE 11, BFLOAT16 16; BOOL 9.
    static constexpr int64_t kBool = 9;
    bool toFloat() const { return to_ == 1 || to_ == 10 || to_ == 11 || to_ == 16; }

    int64_t to_;
};

} // namespace

std::unique_ptr<GraphOp> makeIndexingOp(const Graph& graph, const GraphNode& node)
{
    if (node.op == "Gather")
        return std::make_unique<GatherOp>(graph, node);
    if (node.op == "Slice")
        return std::make_unique<SliceOp>(graph, node);
    if (node.op == "Equal")
        return std::make_unique<EqualOp>(graph, node);
    if (node.op == "Where")
        return std::make_unique<WhereOp>(graph, node);
    if (node.op == "Cast")
        return std::make_unique<CastOp>(node);
    return nullptr;
}

} // namespace lpm::graph_ops
