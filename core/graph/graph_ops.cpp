#include "graph/graph_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <set>

#include "graph/graph_op_support.h"
#include "tensor/error.h"
#include "tensor/random.h"

namespace lpm {

using namespace graph_ops;

int64_t elementCountOf(const Dims& dims)
{
    int64_t count = 1;
    for (int64_t extent : dims)
        if (extent < 0 || __builtin_mul_overflow(count, extent, &count))
            throw InvalidArgument("a tensor of extents " + formatDims(dims)
                                  + " has no element count (negative, or "
                                    "beyond int64)");
    return count;
}

std::string formatDims(const Dims& dims)
{
    std::string text = "(";
    for (size_t axis = 0; axis < dims.size(); ++axis)
        text += (axis ? ", " : "") + std::to_string(dims[axis]);
    return text + ")";
}

Dims dimsAtBatch(const GraphTensor& tensor, int64_t batch, int64_t elements)
{
    if (!tensor.rankKnown)
        throw InvalidArgument("tensor '" + tensor.name + "' has no shape from shape inference");
    Dims dims = tensor.dims;
    int64_t known = 1;
    int unknown = -1;
    for (size_t axis = 0; axis < dims.size(); ++axis) {
        if (dims[axis] == GraphTensor::kBatchDimension)
            dims[axis] = batch;
        if (dims[axis] < 0) {
            if (unknown >= 0)
                throw InvalidArgument("tensor '" + tensor.name + "' " + formatGraphShape(tensor)
                                      + " has more than one extent shape inference left unknown");
            unknown = int(axis);
        } else {
            known *= dims[axis];
        }
    }
    if (unknown >= 0 && known > 0 && elements % known == 0)
        dims[size_t(unknown)] = elements / known;
    if (elementCountOf(dims) != elements || (unknown >= 0 && dims[size_t(unknown)] < 0))
        throw InvalidArgument("tensor '" + tensor.name + "' " + formatGraphShape(tensor) + " cannot hold "
                              + std::to_string(elements) + " elements at batch " + std::to_string(batch));
    return dims;
}

namespace graph_ops {

std::string whereOf(const Graph& graph, const GraphNode& node)
{
    return graph.source + ": node '" + node.name + "' (" + node.op + ")";
}

void refuse(const std::string& where, const std::string& why)
{
    throw InvalidArgument(where + ": " + why);
}

void refuse(const Graph& graph, const GraphNode& node, const std::string& why)
{
    refuse(whereOf(graph, node), why);
}

int64_t intAttribute(const GraphNode& node, const std::string& name, int64_t fallback)
{
    const auto found = node.intAttributes.find(name);
    return found == node.intAttributes.end() || found->second.empty() ? fallback : found->second.front();
}

std::vector<int64_t> intsAttribute(const GraphNode& node, const std::string& name)
{
    const auto found = node.intAttributes.find(name);
    return found == node.intAttributes.end() ? std::vector<int64_t>{} : found->second;
}

float floatAttribute(const GraphNode& node, const std::string& name, float fallback)
{
    const auto found = node.floatAttributes.find(name);
    return found == node.floatAttributes.end() ? fallback : found->second;
}

int64_t normalizedAxis(int64_t axis, size_t rank)
{
    const auto extent = int64_t(rank);
    if (axis < -extent || axis >= extent)
        throw InvalidArgument("axis " + std::to_string(axis) + " is outside a tensor of rank " + std::to_string(rank));
    return axis < 0 ? axis + extent : axis;
}

Dims broadcastDims(const Dims& a, const Dims& b, bool& ok)
{
    ok = true;
    Dims out(std::max(a.size(), b.size()), 1);
    for (size_t i = 0; i < out.size(); ++i) {
        const int64_t x = i < a.size() ? a[a.size() - 1 - i] : 1;
        const int64_t y = i < b.size() ? b[b.size() - 1 - i] : 1;
        if (x != y && x != 1 && y != 1)
            ok = false;
        out[out.size() - 1 - i] = x == 1 ? y : x;
    }
    return out;
}

Dims broadcastOrRefuse(const std::string& where, const Dims& a, const Dims& b)
{
    bool ok = false;
    Dims out = broadcastDims(a, b, ok);
    if (!ok)
        refuse(where, formatDims(a) + " and " + formatDims(b) + " do not broadcast");
    return out;
}

std::vector<int64_t> broadcastStrides(const Dims& dims, const Dims& out)
{
    std::vector<int64_t> strides(out.size(), 0);
    int64_t stride = 1;
    for (size_t i = 0; i < dims.size(); ++i) {
        const int64_t extent = dims[dims.size() - 1 - i];
        if (extent != 1)
            strides[out.size() - 1 - i] = stride;
        stride *= extent;
    }
    return strides;
}

void addInto(float* gradient, const float* values, int64_t count)
{
    if (!gradient)
        return;
    for (int64_t i = 0; i < count; ++i)
        gradient[i] += values[i];
}

} // namespace graph_ops

namespace {

// The floats of a scalar input (a Clip bound, a Pow exponent, a Dropout
// ratio), or `fallback` when the input is absent.
float scalarInput(const OpCall& call, size_t input, float fallback)
{
    if (input >= call.inputs.size() || !call.inputs[input].data)
        return fallback;
    if (elementCountOf(call.inputs[input].dims) != 1)
        throw InvalidArgument("a scalar input holds " + formatDims(call.inputs[input].dims) + " elements");
    return call.inputs[input].data[0];
}

// ---- one input, one output of its shape ----

enum class Pointwise { Relu, LeakyRelu, Sigmoid, Tanh, Clip, Erf, Sqrt, Neg, Exp, Pow, Reciprocal, Identity };

class PointwiseOp final : public GraphOp {
public:
    PointwiseOp(Pointwise kind, const GraphNode& node) : kind_(kind)
    {
        alpha_ = floatAttribute(node, "alpha", 0.01f);
        low_ = floatAttribute(node, "min", -std::numeric_limits<float>::infinity());
        high_ = floatAttribute(node, "max", std::numeric_limits<float>::infinity());
    }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override { return {inputs[0]}; }
    bool differentiable(size_t input) const override { return input == 0; } // not Clip's bounds, Pow's exponent

    void forward(OpCall& call) override
    {
        const float* x = call.inputs[0].data;
        float* y = call.outputs[0].data;
        const int64_t count = elementCountOf(call.inputs[0].dims);
        const auto [low, high] = bounds(call);
        const float exponent = kind_ == Pointwise::Pow ? scalarInput(call, 1, 1.0f) : 0.0f;
        for (int64_t i = 0; i < count; ++i) {
            const float v = x[i];
            switch (kind_) {
            case Pointwise::Relu:
                y[i] = v > 0.0f ? v : 0.0f;
                break;
            case Pointwise::LeakyRelu:
                y[i] = v > 0.0f ? v : alpha_ * v;
                break;
            case Pointwise::Sigmoid:
                y[i] = 1.0f / (1.0f + std::exp(-v));
                break;
            case Pointwise::Tanh:
                y[i] = std::tanh(v);
                break;
            case Pointwise::Clip:
                y[i] = std::min(std::max(v, low), high);
                break;
            case Pointwise::Erf:
                y[i] = std::erf(v);
                break;
            case Pointwise::Sqrt:
                y[i] = std::sqrt(v);
                break;
            case Pointwise::Neg:
                y[i] = -v;
                break;
            case Pointwise::Exp:
                y[i] = std::exp(v);
                break;
            case Pointwise::Pow:
                y[i] = exponent == 2.0f ? v * v : std::pow(v, exponent);
                break;
            case Pointwise::Reciprocal:
                y[i] = 1.0f / v;
                break;
            case Pointwise::Identity:
                y[i] = v;
                break;
            }
        }
    }

    void backward(OpCall& call) override
    {
        float* dx = call.inputGrads[0];
        if (!dx)
            return;
        const float* x = call.inputs[0].data;
        const float* y = call.outputs[0].data;
        const float* dy = call.outputGrads[0];
        const int64_t count = elementCountOf(call.inputs[0].dims);
        const auto [low, high] = bounds(call);
        const float exponent = kind_ == Pointwise::Pow ? scalarInput(call, 1, 1.0f) : 0.0f;
        const auto twoOverRootPi = float(2.0 / std::sqrt(std::numbers::pi));
        for (int64_t i = 0; i < count; ++i) {
            const float g = dy[i];
            float d = 0.0f;
            switch (kind_) {
            case Pointwise::Relu:
                d = x[i] > 0.0f ? g : 0.0f;
                break;
            case Pointwise::LeakyRelu:
                d = x[i] > 0.0f ? g : alpha_ * g;
                break;
            case Pointwise::Sigmoid:
                d = g * y[i] * (1.0f - y[i]);
                break;
            case Pointwise::Tanh:
                d = g * (1.0f - y[i] * y[i]);
                break;
            // PyTorch's hardtanh (ReLU6): the gradient passes strictly inside the bounds.
            case Pointwise::Clip:
                d = x[i] > low && x[i] < high ? g : 0.0f;
                break;
            case Pointwise::Erf:
                d = g * twoOverRootPi * std::exp(-x[i] * x[i]);
                break;
            case Pointwise::Sqrt:
                d = g * 0.5f / y[i];
                break;
            case Pointwise::Neg:
                d = -g;
                break;
            case Pointwise::Exp:
                d = g * y[i];
                break;
            case Pointwise::Pow:
                d = exponent == 2.0f ? g * 2.0f * x[i] : g * exponent * std::pow(x[i], exponent - 1.0f);
                break;
            case Pointwise::Reciprocal:
                d = -g * y[i] * y[i];
                break;
            case Pointwise::Identity:
                d = g;
                break;
            }
            dx[i] += d;
        }
    }

private:
    // Clip's bounds: inputs from opset 11 on, attributes before.
    std::pair<float, float> bounds(const OpCall& call) const
    {
        if (kind_ != Pointwise::Clip)
            return {low_, high_};
        return {scalarInput(call, 1, low_), scalarInput(call, 2, high_)};
    }

    Pointwise kind_;
    float alpha_, low_, high_;
};

// Inverted dropout in a training step (the zoo's Dropout draws), the
// identity otherwise or where the graph fixes training_mode to false.
class DropoutOp final : public GraphOp {
public:
    DropoutOp(const GraphNode& node, uint64_t nodeKey) : ratio_(floatAttribute(node, "ratio", 0.5f)), key_(nodeKey) {}

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        return {inputs[0], inputs[0]}; // the optional mask, unused, has the input's shape
    }
    bool differentiable(size_t input) const override { return input == 0; }

    void forward(OpCall& call) override
    {
        const int64_t count = elementCountOf(call.inputs[0].dims);
        const float ratio = scalarInput(call, 1, ratio_);
        const bool training = call.step.training && scalarInput(call, 2, 1.0f) != 0.0f;
        if (!training || ratio == 0.0f) {
            std::memcpy(call.outputs[0].data, call.inputs[0].data, size_t(count) * sizeof(float));
            return;
        }
        const int64_t sample = call.inputs[0].dims.empty() ? 1 : count / std::max<int64_t>(1, call.inputs[0].dims[0]);
        auto mask = std::make_unique<Mask>();
        mask->scale.resize(size_t(count));
        call.backend.dropoutForward(count, ratio, deriveKey(call.step.randomKey, key_), call.step.sampleOffset * sample,
                                    call.inputs[0].data, call.outputs[0].data, mask->scale.data());
        call.state = std::move(mask);
    }

    void backward(OpCall& call) override
    {
        float* dx = call.inputGrads[0];
        if (!dx)
            return;
        const int64_t count = elementCountOf(call.inputs[0].dims);
        const auto* mask = dynamic_cast<const Mask*>(call.state.get());
        for (int64_t i = 0; i < count; ++i)
            dx[i] += mask ? call.outputGrads[0][i] * mask->scale[size_t(i)] : call.outputGrads[0][i];
    }

private:
    struct Mask : OpState {
        std::vector<float> scale;
    };
    float ratio_;
    uint64_t key_;
};

// ---- two inputs, NumPy broadcasting ----

enum class Arithmetic { Add, Sub, Mul, Div };

class ArithmeticOp final : public GraphOp {
public:
    ArithmeticOp(Arithmetic kind, const Graph& graph, const GraphNode& node) : kind_(kind), where_(whereOf(graph, node))
    {
    }

    size_t requiredInputs(size_t) const override { return 2; }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        return {broadcastOrRefuse(where_, inputs[0], inputs[1])};
    }

    void forward(OpCall& call) override
    {
        const Dims& out = call.outputs[0].dims;
        const float* a = call.inputs[0].data;
        const float* b = call.inputs[1].data;
        float* y = call.outputs[0].data;
        const auto sa = broadcastStrides(call.inputs[0].dims, out), sb = broadcastStrides(call.inputs[1].dims, out);
        switch (kind_) {
        case Arithmetic::Add:
            forEachBroadcast(out, sa, sb, [&](int64_t o, int64_t i, int64_t j) { y[o] = a[i] + b[j]; });
            break;
        case Arithmetic::Sub:
            forEachBroadcast(out, sa, sb, [&](int64_t o, int64_t i, int64_t j) { y[o] = a[i] - b[j]; });
            break;
        case Arithmetic::Mul:
            forEachBroadcast(out, sa, sb, [&](int64_t o, int64_t i, int64_t j) { y[o] = a[i] * b[j]; });
            break;
        case Arithmetic::Div:
            forEachBroadcast(out, sa, sb, [&](int64_t o, int64_t i, int64_t j) { y[o] = a[i] / b[j]; });
            break;
        }
    }

    // Each operand's gradient sums the output's over the axes it was
    // broadcast along, in the output's order.
    void backward(OpCall& call) override
    {
        const Dims& out = call.outputs[0].dims;
        const float* a = call.inputs[0].data;
        const float* b = call.inputs[1].data;
        const float* dy = call.outputGrads[0];
        float* da = call.inputGrads[0];
        float* db = call.inputGrads[1];
        const auto sa = broadcastStrides(call.inputs[0].dims, out), sb = broadcastStrides(call.inputs[1].dims, out);
        forEachBroadcast(out, sa, sb, [&](int64_t o, int64_t i, int64_t j) {
            const float g = dy[o];
            switch (kind_) {
            case Arithmetic::Add:
                if (da)
                    da[i] += g;
                if (db)
                    db[j] += g;
                break;
            case Arithmetic::Sub:
                if (da)
                    da[i] += g;
                if (db)
                    db[j] -= g;
                break;
            case Arithmetic::Mul:
                if (da)
                    da[i] += g * b[j];
                if (db)
                    db[j] += g * a[i];
                break;
            case Arithmetic::Div:
                if (da)
                    da[i] += g / b[j];
                if (db)
                    db[j] -= g * a[i] / (b[j] * b[j]);
                break;
            }
        });
    }

private:
    Arithmetic kind_;
    std::string where_; // "<file>: node '<name>' (<op>)", for messages
};

// ---- matrix products ----

// MatMul over the last two axes, the leading ones broadcast (NumPy's
// matmul; both operands of rank 2 or more).
class MatMulOp final : public GraphOp {
public:
    MatMulOp(const Graph& graph, const GraphNode& node) : where_(whereOf(graph, node)) {}

    size_t requiredInputs(size_t) const override { return 2; }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        const Dims& a = inputs[0];
        const Dims& b = inputs[1];
        if (a.size() < 2 || b.size() < 2 || a.back() != b[b.size() - 2] || a.back() < 1)
            refuse(where_, "cannot multiply " + formatDims(a) + " by " + formatDims(b));
        bool ok = false;
        Dims out = broadcastDims(Dims(a.begin(), a.end() - 2), Dims(b.begin(), b.end() - 2), ok);
        if (!ok)
            refuse(where_, "the leading axes of " + formatDims(a) + " and " + formatDims(b) + " do not broadcast");
        out.push_back(a[a.size() - 2]);
        out.push_back(b.back());
        return {out};
    }

    void forward(OpCall& call) override
    {
        walk(call, [&](int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* y, const float*, float*,
                       float*) { call.backend.gemm(false, false, m, n, k, 1.0f, a, k, b, n, 0.0f, y, n); });
    }

    void backward(OpCall& call) override
    {
        walk(call, [&](int64_t m, int64_t n, int64_t k, const float* a, const float* b, float*, const float* dy,
                       float* da, float* db) {
            if (da) // dA(m×k) += dY·Bᵀ
                call.backend.gemm(false, true, m, k, n, 1.0f, dy, n, b, n, 1.0f, da, k);
            if (db) // dB(k×n) += Aᵀ·dY
                call.backend.gemm(true, false, k, n, m, 1.0f, a, k, dy, n, 1.0f, db, n);
        });
    }

private:
    // Calls step(m, n, k, A, B, Y, dY, dA, dB) for each pair of matrices; a
    // right operand of rank 2 takes every row of the left one in one product.
    template <typename Step>
    void walk(OpCall& call, Step&& step)
    {
        const Dims& ad = call.inputs[0].dims;
        const Dims& bd = call.inputs[1].dims;
        const Dims& yd = call.outputs[0].dims;
        const int64_t k = ad.back(), n = bd.back();
        const bool backward = !call.outputGrads.empty();
        const float* dy = backward ? call.outputGrads[0] : nullptr;
        float* da = backward ? call.inputGrads[0] : nullptr;
        float* db = backward ? call.inputGrads[1] : nullptr;
        if (bd.size() == 2) {
            step(elementCountOf(ad) / k, n, k, call.inputs[0].data, call.inputs[1].data, call.outputs[0].data, dy, da,
                 db);
            return;
        }
        const int64_t m = ad[ad.size() - 2];
        const Dims batch(yd.begin(), yd.end() - 2);
        const auto sa = broadcastStrides(Dims(ad.begin(), ad.end() - 2), batch);
        const auto sb = broadcastStrides(Dims(bd.begin(), bd.end() - 2), batch);
        forEachBroadcast(batch, sa, sb, [&](int64_t o, int64_t i, int64_t j) {
            const int64_t at = i * m * k, bt = j * k * n, yt = o * m * n;
            step(m, n, k, call.inputs[0].data + at, call.inputs[1].data + bt, call.outputs[0].data + yt,
                 dy ? dy + yt : nullptr, da ? da + at : nullptr, db ? db + bt : nullptr);
        });
    }

    std::string where_; // "<file>: node '<name>' (<op>)", for messages
};

// Gemm: Y = alpha·A·op(B) + beta·C, A (M, K) untransposed (as PyTorch
// exports Linear), B (K, N) or, with transB, (N, K); C broadcast to (M, N).
class GemmOp final : public GraphOp {
public:
    GemmOp(const Graph& graph, const GraphNode& node)
        : where_(whereOf(graph, node)), transposeB_(intAttribute(node, "transB", 0) != 0),
          alpha_(floatAttribute(node, "alpha", 1.0f)), beta_(floatAttribute(node, "beta", 1.0f))
    {
        if (intAttribute(node, "transA", 0) != 0)
            refuse(graph, node, "transA is not supported");
    }

    size_t requiredInputs(size_t) const override { return 2; }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        const Dims& a = inputs[0];
        const Dims& b = inputs[1];
        if (a.size() != 2 || b.size() != 2 || a[1] != b[transposeB_ ? 1 : 0])
            refuse(where_,
                   "cannot multiply " + formatDims(a) + " by " + formatDims(b) + (transposeB_ ? " transposed" : ""));
        Dims out{a[0], b[transposeB_ ? 0 : 1]};
        bool ok = true;
        if (inputs.size() > 2 && !inputs[2].empty() && broadcastDims(out, inputs[2], ok) != out)
            ok = false;
        if (!ok)
            refuse(where_, "C " + formatDims(inputs[2]) + " does not broadcast to " + formatDims(out));
        return {out};
    }

    void forward(OpCall& call) override
    {
        const int64_t m = call.inputs[0].dims[0], k = call.inputs[0].dims[1], n = call.outputs[0].dims[1];
        float* y = call.outputs[0].data;
        call.backend.gemm(false, transposeB_, m, n, k, alpha_, call.inputs[0].data, k, call.inputs[1].data,
                          transposeB_ ? k : n, 0.0f, y, n);
        if (!hasC(call))
            return;
        const Dims& out = call.outputs[0].dims;
        const float* c = call.inputs[2].data;
        forEachBroadcast(out, broadcastStrides(out, out), broadcastStrides(call.inputs[2].dims, out),
                         [&](int64_t o, int64_t, int64_t j) { y[o] += beta_ * c[j]; });
    }

    void backward(OpCall& call) override
    {
        const int64_t m = call.inputs[0].dims[0], k = call.inputs[0].dims[1], n = call.outputs[0].dims[1];
        const float* a = call.inputs[0].data;
        const float* b = call.inputs[1].data;
        const float* dy = call.outputGrads[0];
        if (float* da = call.inputGrads[0]) // dA(m×k) += alpha·dY·op(B)ᵀ
            call.backend.gemm(false, !transposeB_, m, k, n, alpha_, dy, n, b, transposeB_ ? k : n, 1.0f, da, k);
        if (float* db = call.inputGrads[1]) {
            if (transposeB_) // dB(n×k) += alpha·dYᵀ·A
                call.backend.gemm(true, false, n, k, m, alpha_, dy, n, a, k, 1.0f, db, k);
            else // dB(k×n) += alpha·Aᵀ·dY
                call.backend.gemm(true, false, k, n, m, alpha_, a, k, dy, n, 1.0f, db, n);
        }
        if (!hasC(call) || !call.inputGrads[2])
            return;
        const Dims& out = call.outputs[0].dims;
        float* dc = call.inputGrads[2];
        forEachBroadcast(out, broadcastStrides(out, out), broadcastStrides(call.inputs[2].dims, out),
                         [&](int64_t o, int64_t, int64_t j) { dc[j] += beta_ * dy[o]; });
    }

private:
    static bool hasC(const OpCall& call) { return call.inputs.size() > 2 && call.inputs[2].data; }

    std::string where_; // "<file>: node '<name>' (<op>)", for messages
    bool transposeB_;
    float alpha_, beta_;
};

// ---- along one axis ----

// A tensor seen as (outer, axis, inner) around one axis.
struct AxisView {
    int64_t outer = 1, extent = 1, inner = 1;
    AxisView(const Dims& dims, int64_t axis)
    {
        for (int64_t i = 0; i < int64_t(dims.size()); ++i)
            (i < axis ? outer : i == axis ? extent : inner) *= dims[size_t(i)];
    }
};

// Softmax along `axis` (opset 13 on); before opset 13 over everything from
// `axis` on, as one row.
class SoftmaxOp final : public GraphOp {
public:
    SoftmaxOp(const Graph& graph, const GraphNode& node)
        : where_(whereOf(graph, node)), axis_(intAttribute(node, "axis", graph.opset >= 13 ? -1 : 1)),
          coerced_(graph.opset < 13)
    {
    }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override { return {inputs[0]}; }

    void forward(OpCall& call) override
    {
        const AxisView v = view(call.inputs[0].dims);
        const float* x = call.inputs[0].data;
        float* y = call.outputs[0].data;
        for (int64_t o = 0; o < v.outer; ++o)
            for (int64_t i = 0; i < v.inner; ++i) {
                const int64_t base = o * v.extent * v.inner + i;
                float largest = -std::numeric_limits<float>::infinity();
                for (int64_t e = 0; e < v.extent; ++e)
                    largest = std::max(largest, x[base + e * v.inner]);
                float sum = 0.0f;
                for (int64_t e = 0; e < v.extent; ++e) {
                    const float value = std::exp(x[base + e * v.inner] - largest);
                    y[base + e * v.inner] = value;
                    sum += value;
                }
                for (int64_t e = 0; e < v.extent; ++e)
                    y[base + e * v.inner] /= sum;
            }
    }

    // dx = y ⊙ (dy − Σ dy ⊙ y) along the axis.
    void backward(OpCall& call) override
    {
        float* dx = call.inputGrads[0];
        if (!dx)
            return;
        const AxisView v = view(call.inputs[0].dims);
        const float* y = call.outputs[0].data;
        const float* dy = call.outputGrads[0];
        for (int64_t o = 0; o < v.outer; ++o)
            for (int64_t i = 0; i < v.inner; ++i) {
                const int64_t base = o * v.extent * v.inner + i;
                float dot = 0.0f;
                for (int64_t e = 0; e < v.extent; ++e)
                    dot += dy[base + e * v.inner] * y[base + e * v.inner];
                for (int64_t e = 0; e < v.extent; ++e) {
                    const int64_t at = base + e * v.inner;
                    dx[at] += y[at] * (dy[at] - dot);
                }
            }
    }

private:
    AxisView view(const Dims& dims) const
    {
        const int64_t axis = normalizedAxis(axis_, dims.size());
        if (!coerced_)
            return AxisView(dims, axis);
        AxisView v(dims, axis);
        v.extent *= v.inner; // everything from the axis on is one row
        v.inner = 1;
        return v;
    }

    std::string where_; // "<file>: node '<name>' (<op>)", for messages
    int64_t axis_;
    bool coerced_;
};

// ReduceMean over the `axes` attribute (all axes when absent), keepdims
// as the attribute says (default 1).
class ReduceMeanOp final : public GraphOp {
public:
    ReduceMeanOp(const Graph& graph, const GraphNode& node)
        : axes_(intsAttribute(node, "axes")), keep_(intAttribute(node, "keepdims", 1) != 0)
    {
        if (node.inputs.size() > 1 && !node.inputs[1].empty())
            refuse(graph, node, "axes given as an input (opset 18) are not supported");
    }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        const Dims kept = keptDims(inputs[0]);
        if (keep_)
            return {kept};
        Dims out;
        for (size_t axis = 0; axis < kept.size(); ++axis)
            if (!reduced(axis, inputs[0].size()))
                out.push_back(kept[axis]);
        return {out};
    }

    void forward(OpCall& call) override
    {
        const Dims& in = call.inputs[0].dims;
        const Dims kept = keptDims(in);
        const float* x = call.inputs[0].data;
        float* y = call.outputs[0].data;
        const int64_t count = elementCountOf(kept);
        std::fill(y, y + count, 0.0f);
        forEachBroadcast(in, broadcastStrides(in, in), broadcastStrides(kept, in),
                         [&](int64_t o, int64_t, int64_t j) { y[j] += x[o]; });
        const auto scale = float(elementCountOf(in) / std::max<int64_t>(1, count));
        for (int64_t i = 0; i < count; ++i)
            y[i] /= scale;
    }

    void backward(OpCall& call) override
    {
        float* dx = call.inputGrads[0];
        if (!dx)
            return;
        const Dims& in = call.inputs[0].dims;
        const Dims kept = keptDims(in);
        const float* dy = call.outputGrads[0];
        const auto scale = float(elementCountOf(in) / std::max<int64_t>(1, elementCountOf(kept)));
        forEachBroadcast(in, broadcastStrides(in, in), broadcastStrides(kept, in),
                         [&](int64_t o, int64_t, int64_t j) { dx[o] += dy[j] / scale; });
    }

private:
    bool reduced(size_t axis, size_t rank) const
    {
        if (axes_.empty())
            return true;
        return std::any_of(axes_.begin(), axes_.end(),
                           [&](int64_t a) { return normalizedAxis(a, rank) == int64_t(axis); });
    }

    Dims keptDims(const Dims& in) const
    {
        Dims kept = in;
        for (size_t axis = 0; axis < in.size(); ++axis)
            if (reduced(axis, in.size()))
                kept[axis] = 1;
        return kept;
    }

    std::vector<int64_t> axes_;
    bool keep_;
};

// Concat along `axis`; Split is its reverse, with the pieces' extents taken
// from shape inference.
class ConcatOp final : public GraphOp {
public:
    ConcatOp(const Graph& graph, const GraphNode& node)
        : where_(whereOf(graph, node)), axis_(intAttribute(node, "axis", 0))
    {
    }

    size_t requiredInputs(size_t given) const override { return given; }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        Dims out = inputs[0];
        const int64_t axis = normalizedAxis(axis_, out.size());
        out[size_t(axis)] = 0;
        for (const Dims& in : inputs) {
            bool fits = in.size() == out.size();
            for (size_t i = 0; fits && i < in.size(); ++i)
                fits = int64_t(i) == axis || in[i] == inputs[0][i];
            if (!fits)
                refuse(where_, "cannot join " + formatDims(inputs[0]) + " and " + formatDims(in));
            out[size_t(axis)] += in[size_t(axis)];
        }
        return {out};
    }

    void forward(OpCall& call) override
    {
        blocks(call, [](float* whole, float* piece, int64_t count) { std::memcpy(whole, piece, size_t(count) * 4); });
    }

    void backward(OpCall& call) override
    {
        blocks(call, [](const float* whole, float* piece, int64_t count) {
            if (piece)
                for (int64_t i = 0; i < count; ++i)
                    piece[i] += whole[i];
        });
    }

private:
    // Calls copy(whole block, piece block, count) for each input's block of
    // each outer index; in the backward, whole is the output's gradient and
    // piece an input's gradient.
    template <typename Copy>
    void blocks(OpCall& call, Copy&& copy)
    {
        const bool backward = !call.outputGrads.empty();
        const Dims& out = call.outputs[0].dims;
        const int64_t axis = normalizedAxis(axis_, out.size());
        const AxisView whole(out, axis);
        int64_t offset = 0;
        for (size_t input = 0; input < call.inputs.size(); ++input) {
            const int64_t block = call.inputs[input].dims[size_t(axis)] * whole.inner;
            for (int64_t o = 0; o < whole.outer; ++o) {
                const int64_t at = o * whole.extent * whole.inner + offset;
                if (backward)
                    copy(const_cast<float*>(call.outputGrads[0]) + at,
                         call.inputGrads[input] ? call.inputGrads[input] + o * block : nullptr, block);
                else
                    copy(call.outputs[0].data + at, call.inputs[input].data + o * block, block);
            }
            offset += block;
        }
    }

    std::string where_; // "<file>: node '<name>' (<op>)", for messages
    int64_t axis_;
};

class SplitOp final : public GraphOp {
public:
    bool readsInput(size_t input) const override { return input == 0; } // the pieces' extents come from the graph

    SplitOp(const Graph& graph, const GraphNode& node)
        : where_(whereOf(graph, node)), axis_(intAttribute(node, "axis", 0))
    {
        const GraphTensor* input = graph.find(node.inputs[0]);
        for (const std::string& name : node.outputs) {
            const GraphTensor* piece = graph.find(name);
            const int64_t axis = input && input->rankKnown ? normalizedAxis(axis_, input->dims.size()) : -1;
            if (!piece || !piece->rankKnown || axis < 0 || size_t(axis) >= piece->dims.size()
                || piece->dims[size_t(axis)] < 1)
                refuse(graph, node, "the extent of output '" + name + "' along the split axis is not known");
            extents_.push_back(piece->dims[size_t(axis)]);
        }
    }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        const int64_t axis = normalizedAxis(axis_, inputs[0].size());
        int64_t total = 0;
        std::vector<Dims> outs;
        for (int64_t extent : extents_) {
            Dims piece = inputs[0];
            piece[size_t(axis)] = extent;
            outs.push_back(piece);
            total += extent;
        }
        if (total != inputs[0][size_t(axis)])
            refuse(where_, "pieces of " + std::to_string(total) + " do not split " + formatDims(inputs[0]));
        return outs;
    }

    void forward(OpCall& call) override
    {
        const int64_t axis = normalizedAxis(axis_, call.inputs[0].dims.size());
        const AxisView whole(call.inputs[0].dims, axis);
        int64_t offset = 0;
        for (size_t piece = 0; piece < extents_.size(); ++piece) {
            const int64_t block = extents_[piece] * whole.inner;
            for (int64_t o = 0; o < whole.outer; ++o)
                std::memcpy(call.outputs[piece].data + o * block,
                            call.inputs[0].data + o * whole.extent * whole.inner + offset, size_t(block) * 4);
            offset += block;
        }
    }

    void backward(OpCall& call) override
    {
        float* dx = call.inputGrads[0];
        if (!dx)
            return;
        const int64_t axis = normalizedAxis(axis_, call.inputs[0].dims.size());
        const AxisView whole(call.inputs[0].dims, axis);
        int64_t offset = 0;
        for (size_t piece = 0; piece < extents_.size(); ++piece) {
            const int64_t block = extents_[piece] * whole.inner;
            for (int64_t o = 0; o < whole.outer; ++o)
                addInto(dx + o * whole.extent * whole.inner + offset, call.outputGrads[piece] + o * block, block);
            offset += block;
        }
    }

private:
    std::string where_; // "<file>: node '<name>' (<op>)", for messages
    int64_t axis_;
    std::vector<int64_t> extents_;
};

// ---- moving data ----

class TransposeOp final : public GraphOp {
public:
    TransposeOp(const Graph& graph, const GraphNode& node)
        : where_(whereOf(graph, node)), perm_(intsAttribute(node, "perm"))
    {
    }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        const std::vector<int64_t> perm = permutation(inputs[0].size());
        Dims out(inputs[0].size());
        for (size_t axis = 0; axis < out.size(); ++axis)
            out[axis] = inputs[0][size_t(perm[axis])];
        return {out};
    }

    void forward(OpCall& call) override
    {
        const float* x = call.inputs[0].data;
        float* y = call.outputs[0].data;
        walk(call.inputs[0].dims, [&](int64_t o, int64_t i) { y[o] = x[i]; });
    }

    void backward(OpCall& call) override
    {
        float* dx = call.inputGrads[0];
        if (!dx)
            return;
        const float* dy = call.outputGrads[0];
        walk(call.inputs[0].dims, [&](int64_t o, int64_t i) { dx[i] += dy[o]; });
    }

private:
    std::vector<int64_t> permutation(size_t rank) const
    {
        if (perm_.empty()) {
            std::vector<int64_t> reversed(rank);
            for (size_t axis = 0; axis < rank; ++axis)
                reversed[axis] = int64_t(rank - 1 - axis);
            return reversed;
        }
        if (perm_.size() != rank)
            refuse(where_,
                   "perm of " + std::to_string(perm_.size()) + " axes for an input of rank " + std::to_string(rank));
        std::vector<bool> seen(rank, false);
        for (int64_t axis : perm_) {
            if (axis < 0 || axis >= int64_t(rank) || seen[size_t(axis)])
                refuse(where_, "perm is not a permutation of the " + std::to_string(rank) + " axes of its input");
            seen[size_t(axis)] = true;
        }
        return perm_;
    }

    // Calls visit(outputIndex, inputIndex) over the output in order.
    template <typename Visit>
    void walk(const Dims& in, Visit&& visit) const
    {
        const std::vector<int64_t> perm = permutation(in.size());
        std::vector<int64_t> inStrides(in.size(), 1);
        for (int axis = int(in.size()) - 2; axis >= 0; --axis)
            inStrides[size_t(axis)] = inStrides[size_t(axis) + 1] * in[size_t(axis) + 1];
        Dims out(in.size());
        std::vector<int64_t> strides(in.size()); // the input stride of each output axis
        for (size_t axis = 0; axis < in.size(); ++axis) {
            out[axis] = in[size_t(perm[axis])];
            strides[axis] = inStrides[size_t(perm[axis])];
        }
        const std::vector<int64_t> none(in.size(), 0);
        forEachBroadcast(out, strides, none, [&](int64_t o, int64_t i, int64_t) { visit(o, i); });
    }

    std::string where_; // "<file>: node '<name>' (<op>)", for messages
    std::vector<int64_t> perm_;
};

// Reshape, Flatten, Squeeze, Unsqueeze: the same elements in the same
// order under the extents shape inference gave the output.
class ReshapeOp final : public GraphOp {
public:
    ReshapeOp(const Graph& graph, const GraphNode& node) : where_(whereOf(graph, node))
    {
        const GraphTensor* out = graph.find(node.outputs[0]);
        if (!out || !out->rankKnown)
            refuse(graph, node, "shape inference gave its output no shape");
        output_ = *out;
    }

    bool readsInput(size_t input) const override { return input == 0; }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t batch) const override
    {
        try {
            return {dimsAtBatch(output_, batch, elementCountOf(inputs[0]))};
        } catch (const InvalidArgument& error) {
            refuse(where_, error.what());
        }
    }

    void forward(OpCall& call) override
    {
        std::memcpy(call.outputs[0].data, call.inputs[0].data, size_t(elementCountOf(call.inputs[0].dims)) * 4);
    }

    void backward(OpCall& call) override
    {
        addInto(call.inputGrads[0], call.outputGrads[0], elementCountOf(call.inputs[0].dims));
    }

private:
    std::string where_; // "<file>: node '<name>' (<op>)", for messages
    GraphTensor output_;
};

} // namespace

const std::set<std::string>& graphOpNames()
{
    static const std::set<std::string> names = {"Add",
                                                "AveragePool",
                                                "BatchNormalization",
                                                "Cast",
                                                "Clip",
                                                "Concat",
                                                "Conv",
                                                "ConvTranspose",
                                                "Div",
                                                "Dropout",
                                                "Equal",
                                                "Erf",
                                                "Exp",
                                                "Flatten",
                                                "Gather",
                                                "Gemm",
                                                "GlobalAveragePool",
                                                "Identity",
                                                "LayerNormalization",
                                                "LeakyRelu",
                                                "MatMul",
                                                "MaxPool",
                                                "Mul",
                                                "Neg",
                                                "Pow",
                                                "Reciprocal",
                                                "ReduceMean",
                                                "Relu",
                                                "Reshape",
                                                "Sigmoid",
                                                "Slice",
                                                "Softmax",
                                                "Split",
                                                "Sqrt",
                                                "Squeeze",
                                                "Sub",
                                                "Tanh",
                                                "Transpose",
                                                "Unsqueeze",
                                                "Where"};
    return names;
}

std::string graphOpsTrained()
{
    std::string list;
    for (const std::string& name : graphOpNames())
        list += (list.empty() ? "" : ", ") + name;
    return list;
}

std::unique_ptr<GraphOp> makeGraphOp(const Graph& graph, const GraphNode& node)
{
    if (!node.domain.empty())
        refuse(graph, node, "ops of domain " + node.domain + " are not supported");
    if (std::unique_ptr<GraphOp> spatial = makeSpatialOp(graph, node))
        return spatial;
    if (std::unique_ptr<GraphOp> indexing = makeIndexingOp(graph, node))
        return indexing;
    const std::string& op = node.op;
    static const std::map<std::string, Pointwise> pointwise = {{"Relu", Pointwise::Relu},
                                                               {"LeakyRelu", Pointwise::LeakyRelu},
                                                               {"Sigmoid", Pointwise::Sigmoid},
                                                               {"Tanh", Pointwise::Tanh},
                                                               {"Clip", Pointwise::Clip},
                                                               {"Erf", Pointwise::Erf},
                                                               {"Sqrt", Pointwise::Sqrt},
                                                               {"Neg", Pointwise::Neg},
                                                               {"Exp", Pointwise::Exp},
                                                               {"Pow", Pointwise::Pow},
                                                               {"Reciprocal", Pointwise::Reciprocal},
                                                               {"Identity", Pointwise::Identity}};
    if (const auto found = pointwise.find(op); found != pointwise.end())
        return std::make_unique<PointwiseOp>(found->second, node);
    static const std::map<std::string, Arithmetic> arithmetic = {
        {"Add", Arithmetic::Add}, {"Sub", Arithmetic::Sub}, {"Mul", Arithmetic::Mul}, {"Div", Arithmetic::Div}};
    if (const auto found = arithmetic.find(op); found != arithmetic.end())
        return std::make_unique<ArithmeticOp>(found->second, graph, node);
    if (op == "Dropout") {
        uint64_t key = 0; // the node's name keys its draws, so two Dropouts of one unit differ
        for (char c : node.name)
            key = deriveKey(key, uint64_t(uint8_t(c)));
        return std::make_unique<DropoutOp>(node, key);
    }
    if (op == "MatMul")
        return std::make_unique<MatMulOp>(graph, node);
    if (op == "Gemm")
        return std::make_unique<GemmOp>(graph, node);
    if (op == "Softmax")
        return std::make_unique<SoftmaxOp>(graph, node);
    if (op == "ReduceMean")
        return std::make_unique<ReduceMeanOp>(graph, node);
    if (op == "Concat")
        return std::make_unique<ConcatOp>(graph, node);
    if (op == "Split")
        return std::make_unique<SplitOp>(graph, node);
    if (op == "Transpose")
        return std::make_unique<TransposeOp>(graph, node);
    if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze")
        return std::make_unique<ReshapeOp>(graph, node);
    refuse(graph, node, "not among the ops trained yet (" + graphOpsTrained() + ")");
}

WeightRole weightRoleOf(const Graph& graph, const GraphNode& node, size_t input)
{
    WeightRole role;
    const GraphTensor* tensor = input < node.inputs.size() ? graph.find(node.inputs[input]) : nullptr;
    const Dims dims = tensor && tensor->rankKnown ? tensor->dims : Dims{};
    const std::string& op = node.op;
    if (op == "BatchNormalization") {
        const float momentum = 1.0f - floatAttribute(node, "momentum", 0.9f); // ONNX weighs the old value
        if (input == 1)
            role.init = ParameterInit::Ones;
        else if (input == 2)
            role.init = ParameterInit::Zeros;
        else
            role = WeightRole{true, ParameterInit::Zeros, 1, input == 4 ? 1.0f : 0.0f, momentum};
    } else if ((op == "Conv" || op == "ConvTranspose") && dims.size() >= 2) {
        role.fanIn = elementCountOf(Dims(dims.begin() + 1, dims.end()));
        if (input == 2) {
            const GraphTensor* kernel = graph.find(node.inputs[1]);
            role.fanIn = kernel && kernel->rankKnown && kernel->dims.size() >= 2
                             ? elementCountOf(Dims(kernel->dims.begin() + 1, kernel->dims.end()))
                             : 1;
        }
    } else if (op == "Gemm" || op == "MatMul") {
        const bool transposed = op == "Gemm" && intAttribute(node, "transB", 0) != 0;
        const GraphTensor* b = graph.find(node.inputs.size() > 1 ? node.inputs[1] : std::string());
        if (b && b->rankKnown && b->dims.size() >= 2)
            role.fanIn = transposed ? b->dims.back() : b->dims[b->dims.size() - 2];
    } else if (op == "Mul" || op == "Div") {
        role.init = ParameterInit::Ones;
    } else if (op == "Add" || op == "Sub") {
        role.init = ParameterInit::Zeros;
    } else if (!dims.empty()) {
        role.fanIn = std::max<int64_t>(1, dims.front());
    }
    role.fanIn = std::max<int64_t>(1, role.fanIn);
    return role;
}

} // namespace lpm
