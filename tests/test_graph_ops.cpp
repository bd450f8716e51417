// The graph ops (graph_ops.h) inside a merged unit (graph_unit_layer.h), on
// small graphs built by hand: each op's gradient against central
// differences, the split backward against the fused one, and what the unit
// refuses. No ONNX file or libonnx needed.
#include <gtest/gtest.h>

#include <map>

#include "expect_error.h"
#include "graph/graph_unit_layer.h"
#include "graph/onnx_model_builder.h"
#include "graph_test_support.h"
#include "layer_test_support.h"

namespace lpm {
namespace {

using testing::checkLayerGradients;
using testing::GradientCheckOptions;
using testing::randomTensor;

// The whole graph as one unit: every node, in order, from its one data input.
GraphUnitLayer wholeGraph(const Graph& graph)
{
    GraphUnit unit;
    for (int node = 0; node < int(graph.nodes.size()); ++node)
        unit.nodes.push_back(node);
    unit.operationNodes = unit.nodes;
    unit.output = graph.outputs.front();
    unit.description = "test unit";
    return GraphUnitLayer(graph, unit, graph.dataInputs.front());
}

TEST(GraphOps, PointwiseOpsAndBroadcastArithmeticHaveTheirGradients)
{
    // x (2, 3, 4, 4): every op of one input, and the four arithmetic ops
    // against weights and constants broadcast along different axes.
    const Graph graph = GraphBuilder()
                            .input("x", {3, 4, 4})
                            .weight("scale", {3, 1, 1})
                            .weight("shift", {4})
                            .constant("two", {2.0f})
                            .constant("three", {3.0f})
                            .constant("low", {-0.5f})
                            .constant("high", {0.8f})
                            .node("Mul", {"x", "scale"}, "a", {3, 4, 4})
                            .node("Add", {"a", "x"}, "b", {3, 4, 4})
                            .node("Sub", {"b", "shift"}, "c", {3, 4, 4})
                            .node("Exp", {"x"}, "e", {3, 4, 4})
                            .node("Div", {"c", "e"}, "d", {3, 4, 4})
                            .node("Tanh", {"d"}, "t", {3, 4, 4})
                            .node("Sigmoid", {"t"}, "s", {3, 4, 4})
                            .node("LeakyRelu", {"c"}, "l", {3, 4, 4})
                            .real("alpha", 0.2f)
                            .node("Erf", {"l"}, "f", {3, 4, 4})
                            .node("Pow", {"f", "three"}, "p", {3, 4, 4})
                            .node("Pow", {"s", "two"}, "q", {3, 4, 4})
                            .node("Sqrt", {"q"}, "r", {3, 4, 4})
                            .node("Neg", {"r"}, "n", {3, 4, 4})
                            .node("Clip", {"x", "low", "high"}, "k", {3, 4, 4})
                            .node("Identity", {"k"}, "i", {3, 4, 4})
                            .node("Add", {"p", "n"}, "u", {3, 4, 4})
                            .node("Add", {"u", "i"}, "y", {3, 4, 4})
                            .output("y");
    GraphUnitLayer layer = wholeGraph(graph);
    GradientCheckOptions options;
    options.allowKinks = true; // LeakyRelu and Clip
    options.epsilon = 3e-3f;
    checkLayerGradients(layer, randomTensor(Shape{2, 3, 4, 4}, 5), options);
}

TEST(GraphOps, MatrixProductsSoftmaxAndDataMovementHaveTheirGradients)
{
    // Attention-like: x (2, 6, 4) projected to q, k, v; scores q·kᵀ (a
    // product of two activations, batched), softmax over the last axis,
    // times v; then Split, Concat, Reshape, ReduceMean and a Gemm.
    const Graph graph = GraphBuilder()
                            .input("x", {6, 4})
                            .weight("wq", {4, 4})
                            .weight("wk", {4, 4})
                            .weight("wv", {4, 4})
                            .weight("w", {3, 24})
                            .weight("c", {3})
                            .node("MatMul", {"x", "wq"}, "q", {6, 4})
                            .node("MatMul", {"x", "wk"}, "k", {6, 4})
                            .node("MatMul", {"x", "wv"}, "v", {6, 4})
                            .node("Transpose", {"k"}, "kt", {4, 6})
                            .ints("perm", {0, 2, 1})
                            .node("MatMul", {"q", "kt"}, "scores", {6, 6})
                            .node("Softmax", {"scores"}, "attention", {6, 6})
                            .ints("axis", {-1})
                            .node("MatMul", {"attention", "v"}, "mixed", {6, 4})
                            .node("Split", {"mixed"}, {"left", "right"}, {{6, 1}, {6, 3}})
                            .ints("axis", {2})
                            .node("Concat", {"right", "left", "x"}, "joined", {6, 8})
                            .ints("axis", {2})
                            .node("ReduceMean", {"joined"}, "mean", {6, 1})
                            .ints("axes", {-1})
                            .node("Sub", {"joined", "mean"}, "centred", {6, 8})
                            .node("Reshape", {"centred"}, "flat", {48})
                            .node("Flatten", {"flat"}, "flat2", {48})
                            .node("Reshape", {"flat2"}, "halves", {2, 24})
                            .node("ReduceMean", {"halves"}, "half", {24})
                            .ints("axes", {1})
                            .ints("keepdims", {0})
                            .node("Gemm", {"half", "w", "c"}, "y", {3})
                            .ints("transB", {1})
                            .output("y");
    GraphUnitLayer layer = wholeGraph(graph);
    GradientCheckOptions options;
    options.epsilon = 3e-3f;
    checkLayerGradients(layer, randomTensor(Shape{2, 6, 4}, 6), options);
}

TEST(GraphOps, ConvolutionsNormalisationAndPoolsHaveTheirGradients)
{
    // x (2, 2, 6, 6) → Conv 3x3 pad 1 with bias → BatchNorm → Relu →
    // depthwise Conv 3x3 stride 2 pad 1 (4 groups) → MaxPool 2 stride 1 →
    // AveragePool 2 → GlobalAveragePool … plus a residual Add of two
    // branches, as in a residual block.
    const Graph graph = GraphBuilder()
                            .input("x", {2, 6, 6})
                            .weight("w1", {4, 2, 3, 3})
                            .weight("b1", {4})
                            .weight("gamma", {4})
                            .weight("beta", {4})
                            .weight("mean", {4})
                            .weight("var", {4})
                            .weight("wd", {4, 1, 3, 3})
                            .weight("w2", {4, 2, 1, 1})
                            .node("Conv", {"x", "w1", "b1"}, "c1", {4, 6, 6})
                            .ints("pads", {1, 1, 1, 1})
                            .node("BatchNormalization", {"c1", "gamma", "beta", "mean", "var"}, "n1", {4, 6, 6})
                            .node("Relu", {"n1"}, "r1", {4, 6, 6})
                            .node("Conv", {"x", "w2"}, "c2", {4, 6, 6})
                            .node("Add", {"r1", "c2"}, "sum", {4, 6, 6})
                            .node("Conv", {"sum", "wd"}, "d", {4, 3, 3})
                            .ints("group", {4})
                            .ints("strides", {2, 2})
                            .ints("pads", {1, 1, 1, 1})
                            .node("MaxPool", {"d"}, "m", {4, 2, 2})
                            .ints("kernel_shape", {2, 2})
                            .node("AveragePool", {"sum"}, "a", {4, 3, 3})
                            .ints("kernel_shape", {2, 2})
                            .ints("strides", {2, 2})
                            .node("GlobalAveragePool", {"a"}, "g", {4, 1, 1})
                            .node("Add", {"m", "g"}, "y", {4, 2, 2})
                            .output("y");
    GraphUnitLayer layer = wholeGraph(graph);
    std::vector<BufferSlot*> buffers;
    layer.collectBuffers("", buffers);
    ASSERT_EQ(buffers.size(), 2u); // the running statistics, not parameters
    EXPECT_EQ(buffers[1]->initialValue, 1.0f);
    GradientCheckOptions options;
    options.allowKinks = true; // Relu and MaxPool
    checkLayerGradients(layer, randomTensor(Shape{2, 2, 6, 6}, 7), options);
}

TEST(GraphOps, PaddedAndCeilModePoolsHaveTheirGradientsAndPyTorchsDivisors)
{
    // ResNet's stem pool (MaxPool 3 stride 2 pad 1), PyTorch's padded
    // average pools with and without counting the padding, and ceil_mode,
    // all over x (2, 2, 7, 7), each to (2, 4, 4), summed.
    auto pool = [](GraphBuilder& builder, const std::string& op, const std::string& output, int64_t kernel) {
        builder.node(op, {"x"}, output, {2, 4, 4}).ints("kernel_shape", {kernel, kernel}).ints("strides", {2, 2});
    };
    GraphBuilder builder;
    builder.input("x", {2, 7, 7});
    pool(builder, "MaxPool", "stem", 3);
    builder.ints("pads", {1, 1, 1, 1});
    pool(builder, "AveragePool", "counting", 3);
    builder.ints("pads", {1, 1, 1, 1}).ints("count_include_pad", {1});
    pool(builder, "AveragePool", "notCounting", 3);
    builder.ints("pads", {1, 1, 1, 1});
    pool(builder, "AveragePool", "ceiling", 2);
    builder.ints("ceil_mode", {1});
    pool(builder, "MaxPool", "ceilingMax", 2);
    builder.ints("ceil_mode", {1});
    const Graph graph = builder.node("Add", {"stem", "counting"}, "s1", {2, 4, 4})
                            .node("Add", {"s1", "notCounting"}, "s2", {2, 4, 4})
                            .node("Add", {"s2", "ceiling"}, "s3", {2, 4, 4})
                            .node("Add", {"s3", "ceilingMax"}, "y", {2, 4, 4})
                            .output("y");
    GraphUnitLayer layer = wholeGraph(graph);
    GradientCheckOptions options;
    options.allowKinks = true; // MaxPool
    checkLayerGradients(layer, randomTensor(Shape{2, 2, 7, 7}, 5), options);

    // The divisors on an input of ones, PyTorch's values: counting the
    // padding, the corner window (3x3 at -1, -1) holds 4 ones of 9; not
    // counting it, 4 of 4. ceil_mode's last 2x2 window holds one column
    // (and row) of the input: 1 of 1 ... 2 of 2 cells, the average 1.
    const Graph counting = GraphBuilder()
                               .input("x", {1, 7, 7})
                               .node("AveragePool", {"x"}, "a", {1, 4, 4})
                               .ints("kernel_shape", {3, 3})
                               .ints("strides", {2, 2})
                               .ints("pads", {1, 1, 1, 1})
                               .ints("count_include_pad", {1})
                               .node("AveragePool", {"x"}, "c", {1, 4, 4})
                               .ints("kernel_shape", {2, 2})
                               .ints("strides", {2, 2})
                               .ints("ceil_mode", {1})
                               .node("Add", {"a", "c"}, "y", {1, 4, 4})
                               .output("y");
    GraphUnitLayer averages = wholeGraph(counting);
    testing::BoundLayer bound(averages);
    CpuBackend backend(1);
    std::unique_ptr<LayerContext> context;
    Tensor ones(Shape{1, 1, 7, 7});
    std::fill(ones.data(), ones.data() + ones.elementCount(), 1.0f);
    const Tensor sum = averages.forward(backend, std::move(ones), StepInfo{}, context);
    ASSERT_EQ(sum.shape(), (Shape{1, 1, 4, 4}));
    EXPECT_FLOAT_EQ(sum.data()[0], 4.0f / 9.0f + 1.0f);  // corner: 2x2 of the 3x3 window
    EXPECT_FLOAT_EQ(sum.data()[1], 6.0f / 9.0f + 1.0f);  // top edge: 2x3
    EXPECT_FLOAT_EQ(sum.data()[5], 9.0f / 9.0f + 1.0f);  // inside
    EXPECT_FLOAT_EQ(sum.data()[15], 4.0f / 9.0f + 1.0f); // the far corner, (5..7, 5..7): 2x2 of input
}

TEST(GraphOps, TransposedConvolutionsHaveTheirGradients)
{
    // A U-Net's upsampling: 2x2 stride 2, then 3x3 stride 2 with padding
    // and output padding, each with a bias, joined to a skip.
    const Graph graph = GraphBuilder()
                            .input("x", {3, 3, 3})
                            .weight("up", {3, 2, 2, 2})
                            .weight("b1", {2})
                            .weight("wide", {3, 2, 3, 3})
                            .weight("b2", {2})
                            .node("ConvTranspose", {"x", "up", "b1"}, "u", {2, 6, 6})
                            .ints("strides", {2, 2})
                            .node("ConvTranspose", {"x", "wide", "b2"}, "v", {2, 6, 6})
                            .ints("strides", {2, 2})
                            .ints("pads", {1, 1, 1, 1})
                            .ints("output_padding", {1, 1})
                            .node("Concat", {"u", "v"}, "y", {4, 6, 6})
                            .ints("axis", {1})
                            .output("y");
    GraphUnitLayer layer = wholeGraph(graph);
    checkLayerGradients(layer, randomTensor(Shape{2, 3, 3, 3}, 11));
}

TEST(GraphOps, DecomposedLayerNormAndDropoutHaveTheirGradients)
{
    // LayerNorm as PyTorch's older exports spell it, then Dropout.
    const Graph graph = GraphBuilder()
                            .input("x", {5, 6})
                            .weight("gamma", {6})
                            .weight("beta", {6})
                            .constant("two", {2.0f})
                            .constant("epsilon", {1e-5f})
                            .node("ReduceMean", {"x"}, "mu", {5, 1})
                            .ints("axes", {-1})
                            .node("Sub", {"x", "mu"}, "d", {5, 6})
                            .node("Pow", {"d", "two"}, "d2", {5, 6})
                            .node("ReduceMean", {"d2"}, "var", {5, 1})
                            .ints("axes", {-1})
                            .node("Add", {"var", "epsilon"}, "ve", {5, 1})
                            .node("Sqrt", {"ve"}, "sd", {5, 1})
                            .node("Div", {"d", "sd"}, "z", {5, 6})
                            .node("Mul", {"z", "gamma"}, "zg", {5, 6})
                            .node("Add", {"zg", "beta"}, "ln", {5, 6})
                            .node("Dropout", {"ln"}, "y", {5, 6})
                            .real("ratio", 0.25f)
                            .output("y");
    GraphUnitLayer layer = wholeGraph(graph);
    checkLayerGradients(layer, randomTensor(Shape{2, 5, 6}, 8));

    // Dropout drops in training and is the identity in evaluation.
    testing::BoundLayer bound(layer);
    CpuBackend backend(1);
    std::unique_ptr<LayerContext> context;
    const Tensor input = randomTensor(Shape{2, 5, 6}, 9);
    const Tensor trained = layer.forward(backend, input.clone(), StepInfo{true, 77, 0}, context);
    const Tensor evaluated = layer.forward(backend, input.clone(), StepInfo{false, 77, 0}, context);
    int dropped = 0;
    for (int64_t i = 0; i < trained.elementCount(); ++i)
        if (trained[i] == 0.0f) {
            ++dropped;
            EXPECT_NE(evaluated[i], 0.0f);
        }
    EXPECT_GT(dropped, 0);
    EXPECT_LT(dropped, 30);
}

TEST(GraphOps, AttentionWithACausalMaskAndLayerNormHaveTheirGradients)
{
    // Positions gathered from a table by folded indices, LayerNormalization,
    // scores masked through Slice, Equal and Where, Softmax, a strided
    // Slice, Reciprocal and Cast. The mask is read only under a comparison,
    // so it is a constant, not a parameter.
    Graph graph = GraphBuilder()
                      .input("x", {4, 6})
                      .weight("positions", {8, 6})
                      .weight("scale", {6})
                      .weight("shift", {6})
                      .weight("mask", {1, 6, 6})
                      .constant("zero", {0.0f})
                      .constant("never", {-1e9f})
                      .node("Gather", {"positions", "where"}, "p", {4, 6})
                      .node("Add", {"x", "p"}, "h", {4, 6})
                      .node("LayerNormalization", {"h", "scale", "shift"}, "n", {4, 6})
                      .node("Transpose", {"n"}, "nt", {6, 4})
                      .ints("perm", {0, 2, 1})
                      .node("MatMul", {"n", "nt"}, "scores", {4, 4})
                      .node("Slice", {"mask", "begin", "end", "axes"}, "window", {4, 4})
                      .node("Equal", {"window", "zero"}, "hidden", {4, 4})
                      .node("Where", {"hidden", "never", "scores"}, "masked", {4, 4})
                      .node("Softmax", {"masked"}, "attention", {4, 4})
                      .ints("axis", {-1})
                      .node("Slice", {"n", "from", "to", "last", "two"}, "odd", {4, 3})
                      .node("MatMul", {"attention", "odd"}, "mixed", {4, 3})
                      .node("Sigmoid", {"mixed"}, "s", {4, 3})
                      .node("Reciprocal", {"s"}, "r", {4, 3})
                      .node("Cast", {"r"}, "y", {4, 3})
                      .ints("to", {1})
                      .output("y");
    // What does not depend on the batch has no batch dimension.
    graph.tensors["p"].dims = {4, 6};
    graph.tensors["window"].dims = {1, 4, 4};
    graph.tensors["hidden"].dims = {1, 4, 4};
    graph.integerValues["where"] = {1, 3, 3, 7};
    graph.tensors["where"] = GraphTensor{"where", {4}, true, 8, false};
    for (const auto& [name, values] : std::map<std::string, std::vector<int64_t>>{{"begin", {0, 0}},
                                                                                  {"end", {4, 4}},
                                                                                  {"axes", {1, 2}},
                                                                                  {"from", {1}},
                                                                                  {"to", {6}},
                                                                                  {"last", {-1}},
                                                                                  {"two", {2}}}) {
        graph.integerValues[name] = values;
        graph.tensors[name] = GraphTensor{name, {int64_t(values.size())}, true, 8, false};
    }
    std::vector<float> lower(36, 0.0f);
    for (int row = 0; row < 6; ++row)
        for (int column = 0; column <= row; ++column)
            lower[size_t(row * 6 + column)] = 1.0f;
    graph.weightValues["mask"] = std::make_shared<const std::vector<float>>(lower);
    GraphUnitLayer layer = wholeGraph(graph);
    std::vector<ParameterSlot*> parameters;
    layer.collectParameters("", parameters);
    ASSERT_EQ(parameters.size(), 3u); // positions, scale, shift; not the mask
    GradientCheckOptions options;
    options.epsilon = 3e-3f;
    checkLayerGradients(layer, randomTensor(Shape{2, 4, 6}, 10), options);
}

TEST(GraphOps, AnEmbeddingOfTokenIdsHasItsTablesGradient)
{
    Graph graph = GraphBuilder()
                      .input("ids", {5})
                      .weight("table", {7, 3})
                      .node("Gather", {"table", "ids"}, "vectors", {5, 3})
                      .node("Tanh", {"vectors"}, "y", {5, 3})
                      .output("y");
    graph.tensors["ids"].isFloat = false;
    GraphUnitLayer layer = wholeGraph(graph);
    Tensor ids(Shape{2, 5});
    for (int64_t i = 0; i < ids.elementCount(); ++i)
        ids[i] = float((i * 3) % 7); // ids repeat, so rows of the table collect several gradients
    GradientCheckOptions options;
    options.probeInput = false;
    checkLayerGradients(layer, ids, options);
    // An id outside the table is named.
    testing::BoundLayer bound(layer);
    CpuBackend backend(1);
    std::unique_ptr<LayerContext> context;
    ids[3] = 7.0f;
    expectError<InvalidArgument>([&] { layer.forward(backend, ids.clone(), StepInfo{}, context); },
                                 {"node 'vectors_node' (Gather)", "index 7", "element 3", "[-7, 7)"});
}

TEST(GraphOps, WhatAUnitCannotRunIsRefusedNamingTheNode)
{
    const Graph unknown =
        GraphBuilder().input("x", {4}).node("Hardmax", {"x"}, "h", {4}).node("Add", {"h", "x"}, "y", {4}).output("y");
    expectError<InvalidArgument>([&] { wholeGraph(unknown); },
                                 {"test.onnx", "node 'h_node' (Hardmax)", "not among the ops trained yet", "MatMul"});
    const Graph dilated = GraphBuilder()
                              .input("x", {2, 6, 6})
                              .weight("w", {2, 2, 3, 3})
                              .node("Conv", {"x", "w"}, "c", {2, 2, 2})
                              .ints("dilations", {2, 2})
                              .node("Add", {"c", "c"}, "y", {2, 2, 2})
                              .output("y");
    expectError<InvalidArgument>([&] { wholeGraph(dilated); }, {"node 'c_node' (Conv)", "dilated"});
    // Shapes that do not fit are found at the first forward, naming the node.
    const Graph mismatch =
        GraphBuilder().input("x", {4}).weight("w", {3, 5}).node("MatMul", {"x", "w"}, "y", {5}).output("y");
    GraphUnitLayer layer = wholeGraph(mismatch);
    testing::BoundLayer bound(layer);
    CpuBackend backend(1);
    std::unique_ptr<LayerContext> context;
    expectError<InvalidArgument>(
        [&] {
            layer.forward(backend, randomTensor(Shape{2, 4}, 1), StepInfo{}, context);
        },
        {"node 'y_node' (MatMul)", "cannot multiply (2, 4) by (3, 5)"});
    // A batch norm's running statistic must be a weight of the file (the op updates it).
    const Graph fixedStatistic = GraphBuilder()
                                     .input("x", {2, 3, 3})
                                     .weight("gamma", {2})
                                     .weight("beta", {2})
                                     .weight("var", {2})
                                     .constant("mean", {0.0f, 0.0f}, {2})
                                     .node("BatchNormalization", {"x", "gamma", "beta", "mean", "var"}, "y", {2, 3, 3})
                                     .output("y");
    expectError<InvalidArgument>(
        [&] { wholeGraph(fixedStatistic); },
        {"node 'y_node' reads its running statistic 'mean'", "other than a float weight of the file"});
    // An input the unit cannot read: integers that are neither folded nor computed here.
    Graph integers = GraphBuilder().input("x", {4}).node("Add", {"x", "counts"}, "y", {4}).output("y");
    integers.tensors["counts"] = GraphTensor{"counts", {4}, true, 8, false};
    expectError<InvalidArgument>([&] { wholeGraph(integers); },
                                 {"node 'y_node' (Add): input 1 'counts' is not a tensor the unit can read"});
    // A constant whose values do not fill its shape.
    const Graph shortConstant = GraphBuilder()
                                    .input("x", {4})
                                    .constant("c", {1.0f, 2.0f, 3.0f}, {4})
                                    .node("Add", {"x", "c"}, "y", {4})
                                    .output("y");
    expectError<InvalidArgument>([&] { wholeGraph(shortConstant); }, {"constant 'c' holds 3 values for the shape (4)"});
    // An op's output must be what shape inference said.
    const Graph misread =
        GraphBuilder().input("x", {4}).node("Relu", {"x"}, "r", {5}).node("Add", {"r", "r"}, "y", {5}).output("y");
    GraphUnitLayer disagreeing = wholeGraph(misread);
    expectError<InvalidArgument>(
        [&] {
            disagreeing.forward(backend, randomTensor(Shape{2, 4}, 1), StepInfo{}, context);
        },
        {"node 'r_node' computed (2, 4) for 'r' where shape inference gave (batch, 5)"});
    // A unit's input must be what shape inference said.
    expectError<InvalidArgument>(
        [&] {
            layer.forward(backend, randomTensor(Shape{2, 5}, 1), StepInfo{}, context);
        },
        {"expects input (2, 4)", "(2, 5)"});
}

// What a unit refuses, op by op: at its construction (attributes it does
// not support) or at the first forward (shapes the op cannot take), each
// naming the node and what is wrong. The unit's input is (2, sample...).
TEST(GraphOps, AttributesAndShapesAnOpCannotTakeAreRefusedNamingTheNode)
{
    // The message of the refusal (InvalidArgument) of building `graph` into a
    // unit and forwarding an `input` through it; empty if it runs.
    auto refusalOf = [](const Graph& graph, const Shape& input) -> std::string {
        try {
            GraphUnitLayer layer = wholeGraph(graph);
            testing::BoundLayer bound(layer);
            CpuBackend backend(1);
            std::unique_ptr<LayerContext> context;
            layer.forward(backend, randomTensor(input, 3), StepInfo{}, context);
        } catch (const InvalidArgument& error) {
            return error.what();
        }
        return "";
    };
    auto expectRefusal = [&](const Graph& graph, const Shape& input, const std::vector<std::string>& parts) {
        const std::string message = refusalOf(graph, input);
        SCOPED_TRACE(message);
        EXPECT_FALSE(message.empty());
        for (const std::string& part : parts)
            EXPECT_NE(message.find(part), std::string::npos) << "missing: " << part;
    };
    expectRefusal(GraphBuilder()
                      .input("x", {2, 3})
                      .node("Transpose", {"x"}, "t", {3, 2})
                      .ints("perm", {0, 2, 1})
                      .node("Concat", {"x", "t"}, "y", {2, 5})
                      .ints("axis", {2})
                      .output("y"),
                  Shape{2, 2, 3}, {"node 'y_node' (Concat)", "cannot join (2, 2, 3) and (2, 3, 2)"});
    expectRefusal(GraphBuilder()
                      .input("x", {6})
                      .node("Split", {"x"}, std::vector<std::string>{"a", "b"}, {{2}, {2}})
                      .ints("axis", {1})
                      .node("Add", {"a", "b"}, "y", {2})
                      .output("y"),
                  Shape{2, 6}, {"node 'a_node' (Split)", "pieces of 4 do not split (2, 6)"});
    expectRefusal(GraphBuilder()
                      .input("x", {2, 3})
                      .node("Transpose", {"x"}, "t", {3, 2})
                      .ints("perm", {0, 2, 2})
                      .node("Relu", {"t"}, "y", {3, 2})
                      .output("y"),
                  Shape{2, 2, 3}, {"node 't_node' (Transpose)", "perm is not a permutation of the 3 axes"});
    expectRefusal(GraphBuilder()
                      .input("x", {2, 3})
                      .node("Transpose", {"x"}, "t", {3, 2})
                      .ints("perm", {1, 0})
                      .node("Relu", {"t"}, "y", {3, 2})
                      .output("y"),
                  Shape{2, 2, 3}, {"node 't_node' (Transpose)", "perm of 2 axes for an input of rank 3"});
    Graph zeroStep = GraphBuilder()
                         .input("x", {4})
                         .node("Slice", {"x", "from", "to", "axes", "steps"}, "s", {2})
                         .node("Relu", {"s"}, "y", {2})
                         .output("y");
    for (const auto& [name, value] :
         std::map<std::string, int64_t>{{"from", 0}, {"to", 2}, {"axes", 1}, {"steps", 0}}) {
        zeroStep.integerValues[name] = {value};
        zeroStep.tensors[name] = GraphTensor{name, {1}, true, 8, false};
    }
    expectRefusal(zeroStep, Shape{2, 4}, {"node 's_node' (Slice)", "a step of 0"});
    expectRefusal(GraphBuilder()
                      .input("x", {4})
                      .weight("w", {4, 3})
                      .weight("c", {5})
                      .node("Gemm", {"x", "w", "c"}, "g", {3})
                      .node("Relu", {"g"}, "y", {3})
                      .output("y"),
                  Shape{2, 4}, {"node 'g_node' (Gemm)", "C (5) does not broadcast to (2, 3)"});
    expectRefusal(GraphBuilder()
                      .input("x", {4})
                      .weight("w", {4, 3})
                      .node("Gemm", {"x", "w"}, "g", {3})
                      .ints("transA", {1})
                      .node("Relu", {"g"}, "y", {3})
                      .output("y"),
                  Shape{2, 4}, {"node 'g_node' (Gemm)", "transA is not supported"});
    expectRefusal(GraphBuilder()
                      .input("x", {2, 5, 5})
                      .weight("w", {4, 2, 3, 3})
                      .weight("b", {3})
                      .node("Conv", {"x", "w", "b"}, "c", {4, 3, 3})
                      .node("Relu", {"c"}, "y", {4, 3, 3})
                      .output("y"),
                  Shape{2, 2, 5, 5},
                  {"node 'c_node' (Conv)", "bias (3) is not one per output channel of (4, 2, 3, 3)"});
    expectRefusal(GraphBuilder()
                      .input("x", {2, 3, 3})
                      .weight("w", {2, 2, 3, 3})
                      .node("ConvTranspose", {"x", "w"}, "u", {2, 7, 7})
                      .ints("strides", {2, 2})
                      .ints("output_padding", {2, 2})
                      .node("Relu", {"u"}, "y", {2, 7, 7})
                      .output("y"),
                  Shape{2, 2, 3, 3}, {"node 'u_node' (ConvTranspose)", "output_padding must be below the stride"});
    expectRefusal(GraphBuilder()
                      .input("x", {3, 4})
                      .weight("scale", {3, 4})
                      .node("LayerNormalization", {"x", "scale"}, "n", {3, 4})
                      .ints("axis", {1})
                      .node("Relu", {"n"}, "y", {3, 4})
                      .output("y"),
                  Shape{2, 3, 4},
                  {"node 'n_node' (LayerNormalization)", "only normalisation over the last axis is supported"});
    expectRefusal(GraphBuilder()
                      .input("x", {2, 6, 6})
                      .node("MaxPool", {"x"}, "m", {2, 3, 3})
                      .ints("kernel_shape", {2, 2})
                      .ints("strides", {2, 2})
                      .ints("pads", {2, 2, 2, 2})
                      .node("Relu", {"m"}, "y", {2, 3, 3})
                      .output("y"),
                  Shape{2, 2, 6, 6},
                  {"node 'm_node' (MaxPool)", "each padding must be at least 0 and below the window 2"});
    expectRefusal(GraphBuilder()
                      .input("x", {2, 6, 6})
                      .node("AveragePool", {"x"}, "a", {2, 3, 3})
                      .ints("kernel_shape", {2, 2})
                      .ints("pads", {1, 1})
                      .node("Relu", {"a"}, "y", {2, 3, 3})
                      .output("y"),
                  Shape{2, 2, 6, 6},
                  {"node 'a_node' (AveragePool)", "pads must give 4 values (top, left, bottom, right), not 2"});
    // The same graph with its shapes right runs: the refusals above are the ops', not the harness's.
    EXPECT_EQ(refusalOf(GraphBuilder()
                            .input("x", {4})
                            .weight("w", {4, 3})
                            .weight("c", {3})
                            .node("Gemm", {"x", "w", "c"}, "g", {3})
                            .node("Relu", {"g"}, "y", {3})
                            .output("y"),
                        Shape{2, 4}),
              "");
}

TEST(GraphOps, ModelsOfMergedUnitsAndOfOpsWithoutALayerBuild)
{
    // A depthwise convolution alone (no zoo layer has groups) and a residual
    // block: both run as graph units.
    Graph graph = GraphBuilder()
                      .input("x", {8, 10, 10})
                      .weight("w", {8, 1, 3, 3})
                      .weight("w2", {8, 8, 3, 3})
                      .weight("fc", {3, 800})
                      .node("Conv", {"x", "w"}, "d", {8, 10, 10})
                      .ints("group", {8})
                      .ints("pads", {1, 1, 1, 1})
                      .node("Conv", {"d", "w2"}, "e", {8, 10, 10})
                      .ints("pads", {1, 1, 1, 1})
                      .node("Add", {"d", "e"}, "s", {8, 10, 10})
                      .node("Flatten", {"s"}, "f", {800})
                      .node("Gemm", {"f", "fc"}, "y", {3})
                      .ints("transB", {1})
                      .output("y");
    Model model = modelFromImported(unitsFromGraph(graph));
    ASSERT_EQ(model.unitCount(), 4);
    EXPECT_EQ(model.unit(0).kind(), "GraphUnit");
    EXPECT_EQ(model.unit(1).kind(), "GraphUnit");
    EXPECT_EQ(model.unit(2).kind(), "Flatten");
    EXPECT_EQ(model.unit(3).kind(), "Linear");
    EXPECT_EQ(model.unitOutputShapes(2).back(), (Shape{2, 3}));
}

} // namespace
} // namespace lpm
