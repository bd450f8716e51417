// The graph ops over images (N, C, H, W): convolution and its transpose,
// batch normalisation and pooling; and layer normalisation, the other normalisation. Ungrouped
// convolutions, the normalisations and the windowed pools run on the
// backend's kernels (the zoo layers' own); grouped (depthwise) convolutions
// and the global average pool are plain loops.
#include <algorithm>
#include <cstring>
#include <limits>

#include "graph/graph_op_support.h"
#include "tensor/error.h"

namespace lpm::graph_ops {

namespace {

// Two equal extents of a 2-D attribute (a square kernel or stride), or
// `fallback` when absent.
int64_t squareAttribute(const Graph& graph, const GraphNode& node, const std::string& name, int64_t fallback)
{
    const std::vector<int64_t> values = intsAttribute(node, name);
    if (values.empty())
        return fallback;
    if (values.size() != 2 || values[0] != values[1] || values[0] < 1)
        refuse(graph, node, name + " other than two equal positive numbers is not supported");
    return values[0];
}

// One padding on every side, 0 when absent.
int64_t equalPadding(const Graph& graph, const GraphNode& node)
{
    const std::vector<int64_t> pads = intsAttribute(node, "pads");
    if (pads.empty())
        return 0;
    if (std::any_of(pads.begin(), pads.end(), [&](int64_t pad) { return pad != pads[0] || pad < 0; }))
        refuse(graph, node, "unequal padding is not supported");
    return pads[0];
}

void requireImage(const std::string& where, const Dims& dims)
{
    if (dims.size() != 4)
        refuse(where, "takes images (N, C, H, W), not " + formatDims(dims));
}

// A scratch buffer for a kernel that overwrites its gradient; added to the
// input's gradient afterwards.
struct Scratch {
    std::vector<float> values;
    float* take(const float* wanted, int64_t count)
    {
        if (!wanted)
            return nullptr;
        values.assign(size_t(count), 0.0f);
        return values.data();
    }
};

class ConvOp final : public GraphOp {
public:
    ConvOp(const Graph& graph, const GraphNode& node)
        : where_(whereOf(graph, node)), stride_(squareAttribute(graph, node, "strides", 1)),
          padding_(equalPadding(graph, node)), groups_(intAttribute(node, "group", 1))
    {
        const std::vector<int64_t> dilations = intsAttribute(node, "dilations");
        if (std::any_of(dilations.begin(), dilations.end(), [](int64_t d) { return d != 1; }))
            refuse(graph, node, "dilated convolutions are not supported yet");
        if (groups_ < 1)
            refuse(graph, node, "group must be positive");
    }

    size_t requiredInputs(size_t) const override { return 2; }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        requireImage(where_, inputs[0]);
        const Dims& w = inputs[1];
        if (w.size() != 4 || inputs[0][1] != w[1] * groups_ || w[0] % groups_ != 0)
            refuse(where_, "kernel " + formatDims(w) + " in " + std::to_string(groups_)
                               + " group(s) does not fit input " + formatDims(inputs[0]));
        if (inputs.size() > 2 && !inputs[2].empty() && elementCountOf(inputs[2]) != w[0])
            refuse(where_, "bias " + formatDims(inputs[2]) + " is not one per output channel of " + formatDims(w));
        const Conv2dGeometry g = geometry(inputs[0], w);
        if (g.outHeight() < 1 || g.outWidth() < 1)
            refuse(where_, "kernel " + formatDims(w) + " is larger than input " + formatDims(inputs[0]));
        return {{g.batch, g.outChannels, g.outHeight(), g.outWidth()}};
    }

    void forward(OpCall& call) override
    {
        const Conv2dGeometry g = geometry(call.inputs[0].dims, call.inputs[1].dims);
        const float* bias = call.inputs.size() > 2 ? call.inputs[2].data : nullptr;
        if (groups_ == 1) {
            call.backend.conv2dForward(g, call.inputs[0].data, call.inputs[1].data, bias, call.outputs[0].data);
            return;
        }
        walkGrouped(
            g,
            [&](int64_t out, int64_t in, int64_t weight) {
                call.outputs[0].data[out] += call.inputs[0].data[in] * call.inputs[1].data[weight];
            },
            [&](int64_t out, int64_t channel) { call.outputs[0].data[out] = bias ? bias[channel] : 0.0f; });
    }

    void backward(OpCall& call) override
    {
        const Conv2dGeometry g = geometry(call.inputs[0].dims, call.inputs[1].dims);
        const float* x = call.inputs[0].data;
        const float* w = call.inputs[1].data;
        const float* dy = call.outputGrads[0];
        float* dx = call.inputGrads[0];
        float* dw = call.inputGrads[1];
        float* db = call.inputs.size() > 2 ? call.inputGrads[2] : nullptr;
        if (groups_ == 1) {
            Scratch inputGradient, weightGradient, biasGradient;
            float* dxScratch = inputGradient.take(dx, elementCountOf(call.inputs[0].dims));
            float* dwTarget = dw ? dw : weightGradient.take(w, elementCountOf(call.inputs[1].dims));
            float* dbTarget = db ? db
                              : call.inputs.size() > 2 && call.inputs[2].data
                                  ? biasGradient.take(call.inputs[2].data, g.outChannels)
                                  : nullptr;
            call.backend.conv2dBackward(g, x, w, dy, dxScratch, dwTarget, dbTarget);
            addInto(dx, dxScratch, elementCountOf(call.inputs[0].dims));
            return;
        }
        walkGrouped(
            g,
            [&](int64_t out, int64_t in, int64_t weight) {
                if (dx)
                    dx[in] += dy[out] * w[weight];
                if (dw)
                    dw[weight] += dy[out] * x[in];
            },
            [&](int64_t out, int64_t channel) {
                if (db)
                    db[channel] += dy[out];
            });
    }

private:
    Conv2dGeometry geometry(const Dims& x, const Dims& w) const
    {
        Conv2dGeometry g;
        g.batch = x[0];
        g.inChannels = x[1];
        g.inHeight = x[2];
        g.inWidth = x[3];
        g.outChannels = w[0];
        g.kernelHeight = w[2];
        g.kernelWidth = w[3];
        g.stride = stride_;
        g.padding = padding_;
        return g;
    }

    // A grouped convolution as loops: start(out, channel) once per output
    // element, then tap(out, in, weight) for each of its taps inside the
    // input, in a fixed order.
    template <typename Tap, typename Start>
    void walkGrouped(const Conv2dGeometry& g, Tap&& tap, Start&& start) const
    {
        const int64_t inPerGroup = g.inChannels / groups_, outPerGroup = g.outChannels / groups_;
        const int64_t oh = g.outHeight(), ow = g.outWidth();
        for (int64_t n = 0; n < g.batch; ++n)
            for (int64_t co = 0; co < g.outChannels; ++co) {
                const int64_t group = co / outPerGroup;
                for (int64_t y = 0; y < oh; ++y)
                    for (int64_t x = 0; x < ow; ++x) {
                        const int64_t out = ((n * g.outChannels + co) * oh + y) * ow + x;
                        start(out, co);
                        for (int64_t ci = 0; ci < inPerGroup; ++ci) {
                            const int64_t channel = group * inPerGroup + ci;
                            for (int64_t ky = 0; ky < g.kernelHeight; ++ky) {
                                const int64_t iy = y * g.stride - g.padding + ky;
                                if (iy < 0 || iy >= g.inHeight)
                                    continue;
                                for (int64_t kx = 0; kx < g.kernelWidth; ++kx) {
                                    const int64_t ix = x * g.stride - g.padding + kx;
                                    if (ix < 0 || ix >= g.inWidth)
                                        continue;
                                    tap(out, ((n * g.inChannels + channel) * g.inHeight + iy) * g.inWidth + ix,
                                        ((co * inPerGroup + ci) * g.kernelHeight + ky) * g.kernelWidth + kx);
                                }
                            }
                        }
                    }
            }
    }

    std::string where_; // "<file>: node '<name>' (<op>)", for messages
    int64_t stride_, padding_, groups_;
};

// ConvTranspose (2-D, one group): the convolution's backward to its input,
// run forward. Input (N, Cin, H, W), weight (Cin, Cout, kH, kW), bias (Cout);
// output (N, Cout, (H − 1)·s − 2p + kH + outputPadding, ...). So its forward
// is the backend's convolution backward-data, its input gradient a
// convolution, and its weight gradient the convolution's weight gradient
// with input and output gradient swapped.
class ConvTransposeOp final : public GraphOp {
public:
    ConvTransposeOp(const Graph& graph, const GraphNode& node)
        : where_(whereOf(graph, node)), stride_(squareAttribute(graph, node, "strides", 1)),
          padding_(equalPadding(graph, node)), outputPadding_(squareAttribute(graph, node, "output_padding", 0))
    {
        const std::vector<int64_t> dilations = intsAttribute(node, "dilations");
        if (std::any_of(dilations.begin(), dilations.end(), [](int64_t d) { return d != 1; }))
            refuse(graph, node, "dilated transposed convolutions are not supported yet");
        if (intAttribute(node, "group", 1) != 1)
            refuse(graph, node, "grouped transposed convolutions are not supported yet");
        if (!intsAttribute(node, "output_shape").empty())
            refuse(graph, node, "output_shape is not supported (give pads and output_padding)");
        if (outputPadding_ >= stride_)
            refuse(graph, node, "output_padding must be below the stride");
    }

    size_t requiredInputs(size_t) const override { return 2; }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        requireImage(where_, inputs[0]);
        const Dims& w = inputs[1];
        if (w.size() != 4 || w[0] != inputs[0][1])
            refuse(where_, "kernel " + formatDims(w) + " does not fit input " + formatDims(inputs[0]));
        if (inputs.size() > 2 && !inputs[2].empty() && elementCountOf(inputs[2]) != w[1])
            refuse(where_, "bias " + formatDims(inputs[2]) + " is not one per output channel of " + formatDims(w));
        const Conv2dGeometry g = geometry(inputs[0], w);
        if (g.inHeight < 1 || g.inWidth < 1)
            refuse(where_,
                   "padding " + std::to_string(padding_) + " leaves no output for input " + formatDims(inputs[0]));
        return {{g.batch, g.inChannels, g.inHeight, g.inWidth}};
    }

    void forward(OpCall& call) override
    {
        const Conv2dGeometry g = geometry(call.inputs[0].dims, call.inputs[1].dims);
        float* y = call.outputs[0].data;
        call.backend.conv2dBackwardData(g, call.inputs[1].data, call.inputs[0].data, y, false);
        if (call.inputs.size() < 3 || !call.inputs[2].data)
            return;
        const int64_t plane = g.inHeight * g.inWidth;
        for (int64_t n = 0; n < g.batch; ++n)
            for (int64_t c = 0; c < g.inChannels; ++c)
                for (int64_t i = 0; i < plane; ++i)
                    y[(n * g.inChannels + c) * plane + i] += call.inputs[2].data[c];
    }

    void backward(OpCall& call) override
    {
        const Conv2dGeometry g = geometry(call.inputs[0].dims, call.inputs[1].dims);
        const float* dy = call.outputGrads[0];
        if (float* dx = call.inputGrads[0]) {
            std::vector<float> scratch(size_t(elementCountOf(call.inputs[0].dims)));
            call.backend.conv2dForward(g, dy, call.inputs[1].data, nullptr, scratch.data());
            addInto(dx, scratch.data(), int64_t(scratch.size()));
        }
        if (float* dw = call.inputGrads[1])
            call.backend.conv2dBackward(g, dy, call.inputs[1].data, call.inputs[0].data, nullptr, dw, nullptr);
        float* db = call.inputs.size() > 2 ? call.inputGrads[2] : nullptr;
        if (!db)
            return;
        const int64_t plane = g.inHeight * g.inWidth;
        for (int64_t n = 0; n < g.batch; ++n)
            for (int64_t c = 0; c < g.inChannels; ++c)
                for (int64_t i = 0; i < plane; ++i)
                    db[c] += dy[(n * g.inChannels + c) * plane + i];
    }

private:
    // The convolution this op reverses: its input is our output.
    Conv2dGeometry geometry(const Dims& x, const Dims& w) const
    {
        Conv2dGeometry g;
        g.batch = x[0];
        g.outChannels = x[1];
        g.inChannels = w[1];
        g.kernelHeight = w[2];
        g.kernelWidth = w[3];
        g.stride = stride_;
        g.padding = padding_;
        g.inHeight = (x[2] - 1) * stride_ - 2 * padding_ + w[2] + outputPadding_;
        g.inWidth = (x[3] - 1) * stride_ - 2 * padding_ + w[3] + outputPadding_;
        return g;
    }

    std::string where_;
    int64_t stride_, padding_, outputPadding_;
};

// BatchNormalization over (N, C, ...): inputs x, scale, bias, running mean
// and running variance (the last two updated in place in training).
class BatchNormOp final : public GraphOp {
public:
    BatchNormOp(const Graph& graph, const GraphNode& node)
        : where_(whereOf(graph, node)), epsilon_(floatAttribute(node, "epsilon", 1e-5f)),
          momentum_(1.0f - floatAttribute(node, "momentum", 0.9f))
    {
        if (intAttribute(node, "training_mode", 0) != 0)
            refuse(graph, node, "exported in training mode (export in evaluation mode)");
        if (node.inputs.size() != 5 || node.outputs.size() != 1)
            refuse(graph, node, "takes five inputs and gives one output");
    }

    size_t requiredInputs(size_t) const override { return 5; }
    bool differentiable(size_t input) const override { return input < 3; } // not the running statistics

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        if (inputs[0].size() < 2)
            refuse(where_, "takes (N, C, ...), not " + formatDims(inputs[0]));
        for (size_t i = 1; i < 5; ++i)
            if (elementCountOf(inputs[i]) != inputs[0][1])
                refuse(where_, "input " + std::to_string(i) + " " + formatDims(inputs[i])
                                   + " is not one per channel of " + formatDims(inputs[0]));
        return {inputs[0]};
    }

    void forward(OpCall& call) override
    {
        const BatchNormGeometry g = geometry(call.inputs[0].dims);
        const float* x = call.inputs[0].data;
        if (!call.step.training) {
            call.backend.batchNormForwardInference(g, x, call.inputs[1].data, call.inputs[2].data, call.inputs[3].data,
                                                   call.inputs[4].data, call.outputs[0].data);
            return;
        }
        auto saved = std::make_unique<Statistics>();
        saved->mean.resize(size_t(g.channels));
        saved->invStd.resize(size_t(g.channels));
        // A recomputation updates copies of the running statistics, which it throws away.
        std::vector<float> mean(call.inputs[3].data, call.inputs[3].data + g.channels);
        std::vector<float> variance(call.inputs[4].data, call.inputs[4].data + g.channels);
        call.backend.batchNormForwardTraining(g, x, call.inputs[1].data, call.inputs[2].data, call.outputs[0].data,
                                              saved->mean.data(), saved->invStd.data(),
                                              call.step.recompute ? mean.data() : call.inputs[3].data,
                                              call.step.recompute ? variance.data() : call.inputs[4].data);
        call.state = std::move(saved);
    }

    void backward(OpCall& call) override
    {
        const BatchNormGeometry g = geometry(call.inputs[0].dims);
        const auto& saved = static_cast<const Statistics&>(*call.state);
        Scratch inputGradient, scaleGradient, biasGradient;
        float* dx = inputGradient.take(call.inputGrads[0], elementCountOf(call.inputs[0].dims));
        float* dScale = call.inputGrads[1] ? call.inputGrads[1] : scaleGradient.take(call.inputs[1].data, g.channels);
        float* dBias = call.inputGrads[2] ? call.inputGrads[2] : biasGradient.take(call.inputs[2].data, g.channels);
        call.backend.batchNormBackward(g, call.inputs[0].data, call.inputs[1].data, saved.mean.data(),
                                       saved.invStd.data(), call.outputGrads[0], dx, dScale, dBias);
        addInto(call.inputGrads[0], dx, elementCountOf(call.inputs[0].dims));
    }

private:
    struct Statistics : OpState {
        std::vector<float> mean, invStd;
    };

    BatchNormGeometry geometry(const Dims& x) const
    {
        BatchNormGeometry g;
        g.batch = x[0];
        g.channels = x[1];
        g.spatial = elementCountOf(x) / std::max<int64_t>(1, x[0] * x[1]);
        g.epsilon = epsilon_;
        g.momentum = momentum_;
        return g;
    }

    std::string where_; // "<file>: node '<name>' (<op>)", for messages
    float epsilon_, momentum_;
};

// MaxPool and AveragePool with a square window, on the backend's unpadded
// pools. Padding (any of the four sides, each below the window) and
// ceil_mode run them on a padded copy of the input: −∞ around it for MaxPool
// (padding never wins), zeros for AveragePool, whose outputs are then
// rescaled from the window's size to its divisor. The divisor follows
// PyTorch: with count_include_pad, the window clipped to the padded input
// (only ceil_mode's last windows reach beyond it); without, the input cells
// the window covers.
class PoolOp final : public GraphOp {
public:
    PoolOp(const Graph& graph, const GraphNode& node)
        : where_(whereOf(graph, node)), max_(node.op == "MaxPool"),
          kernel_(squareAttribute(graph, node, "kernel_shape", 0)), stride_(squareAttribute(graph, node, "strides", 1)),
          ceilMode_(intAttribute(node, "ceil_mode", 0) != 0),
          countIncludePad_(!max_ && intAttribute(node, "count_include_pad", 0) != 0)
    {
        if (kernel_ < 1)
            refuse(graph, node, "needs kernel_shape");
        const std::vector<int64_t> pads = intsAttribute(node, "pads");
        if (!pads.empty() && pads.size() != 4)
            refuse(graph, node,
                   "pads must give 4 values (top, left, bottom, right), not " + std::to_string(pads.size()));
        if (pads.size() == 4) {
            top_ = pads[0], left_ = pads[1], bottom_ = pads[2], right_ = pads[3];
            if (std::any_of(pads.begin(), pads.end(), [&](int64_t pad) { return pad < 0 || pad >= kernel_; }))
                refuse(graph, node, "each padding must be at least 0 and below the window " + std::to_string(kernel_));
        }
        const std::vector<int64_t> dilations = intsAttribute(node, "dilations");
        if (std::any_of(dilations.begin(), dilations.end(), [](int64_t d) { return d != 1; }))
            refuse(graph, node, "dilated pools are not supported");
        if (max_ && node.outputs.size() > 1 && !node.outputs[1].empty())
            refuse(graph, node, "MaxPool's indices output is not supported");
    }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        requireImage(where_, inputs[0]);
        const int64_t height = outputExtent(inputs[0][2], top_, bottom_);
        const int64_t width = outputExtent(inputs[0][3], left_, right_);
        if (height < 1 || width < 1)
            refuse(where_, "window " + std::to_string(kernel_) + " is larger than input " + formatDims(inputs[0]));
        return {{inputs[0][0], inputs[0][1], height, width}};
    }

    void forward(OpCall& call) override
    {
        const Dims& x = call.inputs[0].dims;
        const Pool2dGeometry g = geometry(x);
        const float* input = call.inputs[0].data;
        std::vector<float> padded;
        if (isPadded(x)) {
            const float outside = max_ ? -std::numeric_limits<float>::infinity() : 0.0f;
            padded.assign(size_t(g.batch * g.channels * g.inHeight * g.inWidth), outside);
            forEachInputRow(x, g, [&](int64_t inputRow, int64_t paddedRow) {
                std::copy_n(input + inputRow, x[3], padded.data() + paddedRow);
            });
            input = padded.data();
        }
        if (!max_) {
            call.backend.avgPool2dForward(g, input, call.outputs[0].data);
            scaleByDivisors(x, call.outputs[0].data);
            return;
        }
        auto argmax = std::make_unique<Argmax>();
        argmax->index.resize(size_t(elementCountOf(call.outputs[0].dims)));
        call.backend.maxPool2dForward(g, input, call.outputs[0].data, argmax->index.data());
        call.state = std::move(argmax);
    }

    void backward(OpCall& call) override
    {
        if (!call.inputGrads[0])
            return;
        const Dims& x = call.inputs[0].dims;
        const Pool2dGeometry g = geometry(x);
        std::vector<float> paddedGradient(size_t(g.batch * g.channels * g.inHeight * g.inWidth), 0.0f);
        if (max_) {
            call.backend.maxPool2dBackward(g, call.outputGrads[0], static_cast<const Argmax&>(*call.state).index.data(),
                                           paddedGradient.data());
        } else {
            std::vector<float> outputGradient(call.outputGrads[0],
                                              call.outputGrads[0] + elementCountOf(call.outputs[0].dims));
            scaleByDivisors(x, outputGradient.data());
            call.backend.avgPool2dBackward(g, outputGradient.data(), paddedGradient.data());
        }
        forEachInputRow(x, g, [&](int64_t inputRow, int64_t paddedRow) {
            addInto(call.inputGrads[0] + inputRow, paddedGradient.data() + paddedRow, x[3]);
        });
    }

private:
    struct Argmax : OpState {
        std::vector<int32_t> index;
    };

    // Output rows (or columns) of an input extent padded by `before` and `after`.
    int64_t outputExtent(int64_t input, int64_t before, int64_t after) const
    {
        const int64_t span = input + before + after - kernel_;
        if (span < 0)
            return 0;
        int64_t extent = (ceilMode_ ? (span + stride_ - 1) / stride_ : span / stride_) + 1;
        if (ceilMode_ && (extent - 1) * stride_ >= input + before) // the last window would start in the padding
            --extent;
        return extent;
    }

    // The padded copy's extent: the padding, and what ceil_mode's last window adds.
    int64_t paddedExtent(int64_t input, int64_t before, int64_t after) const
    {
        return std::max(input + before + after, (outputExtent(input, before, after) - 1) * stride_ + kernel_);
    }

    bool isPadded(const Dims& x) const
    {
        return paddedExtent(x[2], top_, bottom_) != x[2] || paddedExtent(x[3], left_, right_) != x[3];
    }

    // The backend's geometry: the padded copy, whose unpadded pool has the output's extents.
    Pool2dGeometry geometry(const Dims& x) const
    {
        Pool2dGeometry g;
        g.batch = x[0];
        g.channels = x[1];
        g.inHeight = paddedExtent(x[2], top_, bottom_);
        g.inWidth = paddedExtent(x[3], left_, right_);
        g.kernel = kernel_;
        g.stride = stride_;
        return g;
    }

    // visit(start of an input row, start of its place in the padded copy), for every row of every plane.
    template <typename Visit>
    void forEachInputRow(const Dims& x, const Pool2dGeometry& g, Visit visit) const
    {
        for (int64_t plane = 0; plane < x[0] * x[1]; ++plane)
            for (int64_t row = 0; row < x[2]; ++row)
                visit((plane * x[2] + row) * x[3], (plane * g.inHeight + row + top_) * g.inWidth + left_);
    }

    // How many of a window's cells along one axis its average divides by:
    // the window starts at `start` (in input coordinates, padding negative).
    int64_t divisorAlong(int64_t start, int64_t input, int64_t after) const
    {
        if (countIncludePad_)
            return std::min(start + kernel_, input + after) - start;
        return std::min(start + kernel_, input) - std::max<int64_t>(start, 0);
    }

    // Rescales the average pool's outputs (or their gradients), which divided
    // each window by kernel², to divide by the window's divisor.
    void scaleByDivisors(const Dims& x, float* values) const
    {
        const int64_t height = outputExtent(x[2], top_, bottom_), width = outputExtent(x[3], left_, right_);
        std::vector<float> scale(size_t(height * width));
        bool anyScaled = false;
        for (int64_t row = 0; row < height; ++row)
            for (int64_t column = 0; column < width; ++column) {
                const int64_t divisor = divisorAlong(row * stride_ - top_, x[2], bottom_)
                                        * divisorAlong(column * stride_ - left_, x[3], right_);
                scale[size_t(row * width + column)] = float(kernel_ * kernel_) / float(divisor);
                anyScaled = anyScaled || divisor != kernel_ * kernel_;
            }
        if (!anyScaled)
            return;
        for (int64_t plane = 0; plane < x[0] * x[1]; ++plane)
            for (size_t cell = 0; cell < scale.size(); ++cell)
                values[size_t(plane) * scale.size() + cell] *= scale[cell];
    }

    std::string where_; // "<file>: node '<name>' (<op>)", for messages
    bool max_;
    int64_t kernel_, stride_;
    bool ceilMode_, countIncludePad_;
    int64_t top_ = 0, left_ = 0, bottom_ = 0, right_ = 0; // padding of each side
};

// GlobalAveragePool: (N, C, ...) to (N, C, 1, ...), the mean of each plane.
class GlobalAveragePoolOp final : public GraphOp {
public:
    GlobalAveragePoolOp(const Graph& graph, const GraphNode& node) : where_(whereOf(graph, node)) {}

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        if (inputs[0].size() < 3)
            refuse(where_, "takes (N, C, spatial...), not " + formatDims(inputs[0]));
        Dims out = inputs[0];
        std::fill(out.begin() + 2, out.end(), 1);
        return {out};
    }

    void forward(OpCall& call) override
    {
        const int64_t planes = elementCountOf(call.outputs[0].dims);
        const int64_t plane = elementCountOf(call.inputs[0].dims) / std::max<int64_t>(1, planes);
        for (int64_t p = 0; p < planes; ++p) {
            float sum = 0.0f;
            for (int64_t i = 0; i < plane; ++i)
                sum += call.inputs[0].data[p * plane + i];
            call.outputs[0].data[p] = sum / float(plane);
        }
    }

    void backward(OpCall& call) override
    {
        float* dx = call.inputGrads[0];
        if (!dx)
            return;
        const int64_t planes = elementCountOf(call.outputs[0].dims);
        const int64_t plane = elementCountOf(call.inputs[0].dims) / std::max<int64_t>(1, planes);
        for (int64_t p = 0; p < planes; ++p) {
            const float share = call.outputGrads[0][p] / float(plane);
            for (int64_t i = 0; i < plane; ++i)
                dx[p * plane + i] += share;
        }
    }

private:
    std::string where_; // "<file>: node '<name>' (<op>)", for messages
};

// LayerNormalization (opset 17) over the last axis: inputs x, scale and
// an optional bias.
class LayerNormOp final : public GraphOp {
public:
    LayerNormOp(const Graph& graph, const GraphNode& node)
        : where_(whereOf(graph, node)), axis_(intAttribute(node, "axis", -1)),
          epsilon_(floatAttribute(node, "epsilon", 1e-5f))
    {
        if (node.outputs.size() > 1
            && std::any_of(node.outputs.begin() + 1, node.outputs.end(),
                           [](const std::string& name) { return !name.empty(); }))
            refuse(graph, node, "its mean and inverse deviation outputs are not supported");
    }

    size_t requiredInputs(size_t) const override { return 2; }

    std::vector<Dims> outputDims(const std::vector<Dims>& inputs, int64_t) const override
    {
        if (inputs[0].empty() || normalizedAxis(axis_, inputs[0].size()) != int64_t(inputs[0].size()) - 1)
            refuse(where_, "only normalisation over the last axis is supported");
        const int64_t features = inputs[0].back();
        for (size_t i = 1; i < inputs.size() && i < 3; ++i)
            if (!inputs[i].empty() && elementCountOf(inputs[i]) != features)
                refuse(where_, "input " + std::to_string(i) + " " + formatDims(inputs[i])
                                   + " is not one per feature of " + formatDims(inputs[0]));
        return {inputs[0]};
    }

    void forward(OpCall& call) override
    {
        const LayerNormGeometry g = geometry(call.inputs[0].dims);
        auto saved = std::make_unique<Statistics>();
        saved->mean.resize(size_t(g.rows));
        saved->invStd.resize(size_t(g.rows));
        const std::vector<float> zeros(size_t(g.features), 0.0f);
        call.backend.layerNormForward(g, call.inputs[0].data, call.inputs[1].data, biasOf(call, zeros),
                                      call.outputs[0].data, saved->mean.data(), saved->invStd.data());
        call.state = std::move(saved);
    }

    void backward(OpCall& call) override
    {
        const LayerNormGeometry g = geometry(call.inputs[0].dims);
        const auto& saved = static_cast<const Statistics&>(*call.state);
        Scratch inputGradient;
        float* dx = inputGradient.take(call.inputGrads[0], elementCountOf(call.inputs[0].dims));
        float* dBias = call.inputs.size() > 2 ? call.inputGrads[2] : nullptr;
        call.backend.layerNormBackward(g, call.inputs[0].data, call.inputs[1].data, saved.mean.data(),
                                       saved.invStd.data(), call.outputGrads[0], dx, call.inputGrads[1], dBias);
        addInto(call.inputGrads[0], dx, elementCountOf(call.inputs[0].dims));
    }

private:
    struct Statistics : OpState {
        std::vector<float> mean, invStd;
    };

    static const float* biasOf(const OpCall& call, const std::vector<float>& zeros)
    {
        return call.inputs.size() > 2 && call.inputs[2].data ? call.inputs[2].data : zeros.data();
    }

    LayerNormGeometry geometry(const Dims& x) const
    {
        LayerNormGeometry g;
        g.features = x.back();
        g.rows = elementCountOf(x) / std::max<int64_t>(1, g.features);
        g.epsilon = epsilon_;
        return g;
    }

    std::string where_;
    int64_t axis_;
    float epsilon_;
};

} // namespace

std::unique_ptr<GraphOp> makeSpatialOp(const Graph& graph, const GraphNode& node)
{
    if (node.op == "Conv")
        return std::make_unique<ConvOp>(graph, node);
    if (node.op == "ConvTranspose")
        return std::make_unique<ConvTransposeOp>(graph, node);
    if (node.op == "BatchNormalization")
        return std::make_unique<BatchNormOp>(graph, node);
    if (node.op == "MaxPool" || node.op == "AveragePool")
        return std::make_unique<PoolOp>(graph, node);
    if (node.op == "GlobalAveragePool")
        return std::make_unique<GlobalAveragePoolOp>(graph, node);
    if (node.op == "LayerNormalization")
        return std::make_unique<LayerNormOp>(graph, node);
    return nullptr;
}

} // namespace lpm::graph_ops
