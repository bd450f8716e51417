// The merging of a graph into units (graph_units.h) on small graphs built by
// hand: no ONNX file or libonnx needed.
#include <gtest/gtest.h>

#include "expect_error.h"
#include "graph/graph_units.h"
#include "graph/onnx_model_builder.h"
#include "graph/onnx_writer.h"
#include "graph/op_costs.h"
#include "graph_test_support.h"
#include "nn/parameter_store.h"

namespace lpm {
namespace {

TEST(GraphUnits, AChainCutsBetweenEveryNode)
{
    const Graph graph = GraphBuilder()
                            .input("x", {8})
                            .weight("w", {4, 8})
                            .weight("b", {4})
                            .node("Gemm", {"x", "w", "b"}, "y", {4})
                            .node("Relu", {"y"}, "z", {4})
                            .output("z");
    const ImportedModel model = unitsFromGraph(graph);
    EXPECT_EQ(kinds(model), (std::vector<std::string>{"Gemm", "Relu"}));
    EXPECT_EQ(model.units[0].output, "y");
    EXPECT_EQ(model.units[1].output, "z");
    // Gemm: 2·K per output element, K = 8; backward twice that (input and weight gradients).
    EXPECT_DOUBLE_EQ(model.units[0].cost.forwardFlops, 2.0 * 8 * 4);
    EXPECT_DOUBLE_EQ(model.units[0].cost.backwardFlops, 4.0 * 8 * 4);
    EXPECT_DOUBLE_EQ(model.units[0].cost.weightGradientFlops, 2.0 * 8 * 4);
    EXPECT_EQ(model.units[0].cost.parameterBytes, (4 * 8 + 4) * 4);
    EXPECT_EQ(model.units[0].cost.outputBytes, 4 * 4);
    EXPECT_EQ(model.units[1].cost.parameterBytes, 0);
    EXPECT_EQ(model.inputBytesPerSample, 8 * 4);
    EXPECT_FALSE(model.units[0].estimated);
}

TEST(GraphUnits, AResidualBranchBecomesOneUnit)
{
    // x -> Relu -> a; a -> Sigmoid -> b -> Tanh -> c (a branch); a + c -> d; Relu(d) -> e.
    const Graph graph = GraphBuilder()
                            .input("x", {16})
                            .node("Relu", {"x"}, "a", {16})
                            .node("Sigmoid", {"a"}, "b", {16})
                            .node("Tanh", {"b"}, "c", {16})
                            .node("Add", {"a", "c"}, "d", {16})
                            .node("Relu", {"d"}, "e", {16})
                            .output("e");
    const ImportedModel model = unitsFromGraph(graph);
    // The ReLU after the addition joins the block, as in the zoo's ResidualBlock.
    ASSERT_EQ(kinds(model), (std::vector<std::string>{"Relu", "Block"}));
    EXPECT_EQ(model.units[1].nodes.size(), 4u);
    EXPECT_EQ(model.units[1].description, "Sigmoid, Tanh, Add, Relu");
    EXPECT_EQ(model.units[1].output, "e");
    EXPECT_EQ(model.largestUnitOperations, 4);
    // The block keeps what its nodes read: a, b, c and d.
    EXPECT_EQ(model.units[1].cost.savedBytes, 4 * 16 * 4);
}

TEST(GraphUnits, ShapeArithmeticJoinsItsReadersUnitAndNeverBlocksACut)
{
    // y = Relu(x); s = Shape(y) (read much later); z = Reshape(Relu(y), s).
    const Graph graph = GraphBuilder()
                            .input("x", {2, 3})
                            .node("Relu", {"x"}, "y", {2, 3})
                            .shapeNode("Shape", {"y"}, "s")
                            .node("Sigmoid", {"y"}, "t", {2, 3})
                            .node("Reshape", {"t", "s"}, "z", {2, 3})
                            .output("z");
    const ImportedModel model = unitsFromGraph(graph);
    ASSERT_EQ(kinds(model), (std::vector<std::string>{"Relu", "Sigmoid", "Reshape"}));
    // The Shape node runs in the unit of its reader, the Reshape.
    EXPECT_EQ(model.units[2].nodes.size(), 2u);
}

TEST(GraphUnits, NodesOutOfOrderInTheFileAreOrdered)
{
    Graph graph =
        GraphBuilder().input("x", {4}).node("Relu", {"x"}, "a", {4}).node("Sigmoid", {"a"}, "b", {4}).output("b");
    std::swap(graph.nodes[0], graph.nodes[1]);
    const ImportedModel model = unitsFromGraph(graph);
    EXPECT_EQ(kinds(model), (std::vector<std::string>{"Relu", "Sigmoid"}));
}

TEST(GraphUnits, LongSkipsLeaveFewCuts)
{
    // x -> a -> b -> c, and a and b are read again at the end (U-Net).
    const Graph graph = GraphBuilder()
                            .input("x", {4})
                            .node("Relu", {"x"}, "a", {4})
                            .node("Relu", {"a"}, "b", {4})
                            .node("Relu", {"b"}, "c", {4})
                            .node("Add", {"c", "b"}, "d", {4})
                            .node("Add", {"d", "a"}, "e", {4})
                            .node("Relu", {"e"}, "f", {4})
                            .output("f");
    const ImportedModel model = unitsFromGraph(graph);
    EXPECT_EQ(kinds(model), (std::vector<std::string>{"Relu", "Block"}));
    EXPECT_EQ(model.largestUnitOperations, 5);
    EXPECT_EQ(model.operations, 6);
}

TEST(GraphUnits, AnOpWithoutFormulaIsEstimatedAndListedAsUntrained)
{
    const Graph graph =
        GraphBuilder().input("x", {4}).node("Relu", {"x"}, "a", {4}).node("MysteryOp", {"a"}, "b", {6}).output("b");
    const ImportedModel model = unitsFromGraph(graph);
    EXPECT_FALSE(model.units[0].estimated);
    EXPECT_TRUE(model.units[1].estimated);
    EXPECT_DOUBLE_EQ(model.units[1].cost.forwardFlops, 6.0);
    ASSERT_EQ(model.untrainedOps.count("MysteryOp"), 1u);
    EXPECT_EQ(model.untrainedOps.at("MysteryOp"), (std::vector<std::string>{"b_node"}));
    EXPECT_EQ(model.untrainedOps.count("Relu"), 0u);
}

TEST(GraphUnits, BadGraphsAreRefusedNamingTheProblem)
{
    expectError(
        [] {
            unitsFromGraph(GraphBuilder().input("x", {4}).node("Conv", {"x", "missing_weight"}, "y", {4}).output("y"));
        },
        {"test.onnx", "y_node", "missing_weight", "initializer"});
    expectError(
        [] {
            unitsFromGraph(GraphBuilder()
                               .input("x", {4})
                               .node("Add", {"x", "b"}, "a", {4})
                               .node("Relu", {"a"}, "b", {4})
                               .output("b"));
        },
        {"test.onnx", "cycle", "a_node"});
    expectError([] { unitsFromGraph(GraphBuilder().input("x", {4}).node("Relu", {"x"}, "a", {4}).output("nowhere")); },
                {"test.onnx", "output 'nowhere'"});
    expectError(
        [] {
            Graph graph =
                GraphBuilder().input("x", {4}).node("Relu", {"x"}, "a", {4}).node("Relu", {"x"}, "b", {4}).output("a");
            graph.nodes[1].outputs = {"a"};
            unitsFromGraph(graph);
        },
        {"test.onnx", "both write tensor 'a'"});
    expectError(
        [] {
            Graph graph = GraphBuilder().input("x", {4}).node("Relu", {"x"}, "a", {4}).output("a");
            graph.outputs.clear();
            unitsFromGraph(graph);
        },
        {"test.onnx", "has no output"});
    expectError(
        [] {
            unitsFromGraph(GraphBuilder().input("x", {4}).weight("w", {4}).node("Relu", {"w"}, "a", {4}).output("a"));
        },
        {"test.onnx", "no node reads the data input"});
    // Two weights of 2^60 floats each: 2^63 bytes, beyond int64.
    expectError(
        [] {
            unitsFromGraph(GraphBuilder()
                               .input("x", {4})
                               .weight("w", {int64_t(1) << 30, int64_t(1) << 30})
                               .weight("b", {int64_t(1) << 60})
                               .node("Gemm", {"x", "w", "b"}, "y", {4})
                               .output("y"));
        },
        {"test.onnx", "tensor sizes beyond any device"});
}

TEST(GraphUnits, WhatCannotTrainIsRefusedNamingTheUnitOrTheShape)
{
    // A dilated convolution: no op runs it yet.
    Graph dilated = GraphBuilder()
                        .input("x", {8, 10, 10})
                        .weight("w", {8, 8, 3, 3})
                        .node("Conv", {"x", "w"}, "y", {8, 6, 6})
                        .ints("dilations", {2, 2})
                        .node("Flatten", {"y"}, "z", {288})
                        .output("z");
    expectError<InvalidArgument>([&] { modelFromImported(unitsFromGraph(dilated)); },
                                 {"test.onnx", "unit 0", "cannot be trained yet", "dilated"});
    // The output is not (batch, classes).
    const Graph images = GraphBuilder().input("x", {8, 10, 10}).node("Relu", {"x"}, "y", {8, 10, 10}).output("y");
    expectError<InvalidArgument>([&] { modelFromImported(unitsFromGraph(images)); },
                                 {"test.onnx", "logits (batch, classes)", "(batch, 8, 10, 10)"});
    // Two inputs.
    const Graph pair = GraphBuilder().input("x", {4}).input("y", {4}).node("Add", {"x", "y"}, "z", {4}).output("z");
    expectError<InvalidArgument>([&] { modelFromImported(unitsFromGraph(pair)); }, {"test.onnx", "one input"});
    // File values of the wrong size for a layer's weight.
    Graph linear = GraphBuilder().input("x", {8}).weight("w", {4, 8}).node("Gemm", {"x", "w"}, "y", {4}).output("y");
    linear.nodes[0].intAttributes["transB"] = {1};
    linear.weightValues["w"] = std::make_shared<const std::vector<float>>(3, 0.0f);
    expectError<InvalidArgument>([&] { modelFromImported(unitsFromGraph(linear)); },
                                 {"weight", "expected 32 values", "got 3"});
    linear.weightValues["w"] = std::make_shared<const std::vector<float>>(32, 0.5f);
    EXPECT_EQ(modelFromImported(unitsFromGraph(linear)).classes(), 4);
    // B untransposed is held transposed, which is not the file's tensor: it cannot be exported.
    Graph untransposed =
        GraphBuilder().input("x", {8}).weight("w", {8, 4}).node("Gemm", {"x", "w"}, "y", {4}).output("y");
    Model held = modelFromImported(unitsFromGraph(untransposed));
    ParameterStore store(held);
    expectError<InvalidArgument>([&] { importedTensors(store); },
                                 {"parameter unit0.weight", "no tensor of its own", "cannot be exported yet"});
    // One weight read by two units (tied).
    Graph tied = GraphBuilder()
                     .input("x", {8})
                     .weight("w", {8, 8})
                     .node("Gemm", {"x", "w"}, "a", {8})
                     .ints("transB", {1})
                     .node("Relu", {"a"}, "r", {8})
                     .node("Gemm", {"r", "w"}, "y", {8})
                     .ints("transB", {1})
                     .output("y");
    expectError<InvalidArgument>([&] { modelFromImported(unitsFromGraph(tied)); },
                                 {"test.onnx", "weight 'w' is read by units 0 and 2", "tied weights"});
    // A weight no device holds: 2^40 floats.
    Graph huge = GraphBuilder()
                     .input("x", {8})
                     .weight("w", {int64_t(1) << 20, int64_t(1) << 20})
                     .node("MatMul", {"x", "w"}, "y", {int64_t(1) << 20})
                     .output("y");
    expectError<InvalidArgument>([&] { modelFromImported(unitsFromGraph(huge)); },
                                 {"test.onnx", "weight 'w'", "no static size within any device's memory"});
}

TEST(OpCosts, ConvolutionCountsItsWindowAndGroups)
{
    // A depthwise 3x3 convolution on 8 channels of 10x10: weight (8, 1, 3, 3).
    const Graph graph = GraphBuilder()
                            .input("x", {8, 10, 10})
                            .weight("w", {8, 1, 3, 3})
                            .node("Conv", {"x", "w"}, "y", {8, 10, 10})
                            .output("y");
    const NodeCost cost = estimateNodeCost(graph, graph.nodes.front());
    EXPECT_DOUBLE_EQ(cost.forwardFlops, 2.0 * 800 * 9);
    EXPECT_DOUBLE_EQ(cost.backwardFlops, 2.0 * cost.forwardFlops);
    EXPECT_FALSE(cost.estimated);
}

} // namespace
} // namespace lpm
