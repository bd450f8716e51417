// ONNX import of the committed fixtures (tests/data/onnx, written by
// scripts/make-onnx-fixtures.py): the units each network merges into, their
// costs beside the zoo's own, and the errors for broken files. Skipped in a
// build without libonnx-dev.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "backend/cpu/cpu_backend.h"
#include "expect_error.h"
#include "graph/model_source.h"
#include "graph/onnx_model_builder.h"
#include "graph/onnx_reader.h"
#include "graph/onnx_writer.h"
#include "graph_test_support.h"
#include "nn/model_outline.h"
#include "nn/parameter_store.h"
#include "nn/unit_passes.h"

#ifdef LPM_TEST_HAVE_ONNX
#include <onnx/onnx_pb.h>
#endif

namespace lpm {
namespace {

std::string fixture(const std::string& name)
{
    return std::string(LPM_TEST_DATA_DIR) + "/onnx/" + name;
}

#define SKIP_WITHOUT_ONNX()                                                                                            \
    if (!onnxImportAvailable())                                                                                        \
    GTEST_SKIP() << "this build has no ONNX import (libonnx-dev)"

TEST(OnnxImport, TheZoosCnnFromPyTorchHasTheZoosUnitsAndCosts)
{
    SKIP_WITHOUT_ONNX();
    const ImportedModel model = importOnnxModel(fixture("cnn.onnx"));
    EXPECT_EQ(kinds(model), (std::vector<std::string>{"Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten",
                                                      "Gemm", "Relu", "Gemm"}));
    EXPECT_TRUE(model.graph.weightsInFile);
    EXPECT_TRUE(model.untrainedOps.empty());
    EXPECT_EQ(model.inputBytesPerSample, 28 * 28 * 4);
    // Unit by unit, the same figures as the zoo's cnn states for itself.
    const ModelOutline zoo = outlineModel("cnn");
    const ModelOutline imported = outlineImportedModel(model);
    ASSERT_EQ(imported.units.size(), zoo.units.size());
    EXPECT_EQ(imported.sampleShape, "(1, 28, 28)");
    for (size_t unit = 0; unit < zoo.units.size(); ++unit) {
        SCOPED_TRACE("unit " + std::to_string(unit));
        EXPECT_EQ(imported.units[unit].outputShape, zoo.units[unit].outputShape);
        EXPECT_EQ(imported.units[unit].cost.parameterBytes, zoo.units[unit].cost.parameterBytes);
        EXPECT_EQ(imported.units[unit].cost.outputBytes, zoo.units[unit].cost.outputBytes);
        EXPECT_NEAR(imported.units[unit].cost.forwardFlops, zoo.units[unit].cost.forwardFlops,
                    0.01 * zoo.units[unit].cost.forwardFlops + 1.0);
    }
}

TEST(OnnxImport, ResidualBlocksMergeIntoOneUnitEach)
{
    SKIP_WITHOUT_ONNX();
    const ImportedModel model = importOnnxModel(fixture("resnet-mini.onnx"));
    EXPECT_EQ(kinds(model),
              (std::vector<std::string>{"Conv", "BatchNormalization", "Relu", "Block", "Block", "Block", "Block",
                                        "Block", "Block", "GlobalAveragePool", "Flatten", "Gemm"}));
    // The zoo's resnet-mini has the same chain: its parameters match unit by unit.
    const ModelOutline zoo = outlineModel("resnet-mini");
    const ModelOutline imported = outlineImportedModel(model);
    ASSERT_EQ(imported.units.size(), zoo.units.size());
    for (size_t unit = 0; unit < zoo.units.size(); ++unit) {
        SCOPED_TRACE("unit " + std::to_string(unit));
        EXPECT_EQ(imported.units[unit].cost.parameterBytes, zoo.units[unit].cost.parameterBytes);
        EXPECT_EQ(imported.units[unit].outputShape, zoo.units[unit].outputShape);
    }
    EXPECT_EQ(model.units[3].description, "Conv x2, BatchNormalization x2, Relu x2, Add");
    // The network view lists a unit's operations (not the Identity nodes of shared weights).
    EXPECT_EQ(imported.units[3].nodes,
              (std::vector<std::string>{"/blocks/blocks.0/conv1/Conv", "/blocks/blocks.0/bn1/BatchNormalization",
                                        "/blocks/blocks.0/Relu", "/blocks/blocks.0/conv2/Conv",
                                        "/blocks/blocks.0/bn2/BatchNormalization", "/blocks/blocks.0/Add",
                                        "/blocks/blocks.0/Relu_1"}));
    EXPECT_TRUE(zoo.units[3].nodes.empty());
}

TEST(OnnxImport, ResNet50IsItsStemSixteenBottlenecksAndHead)
{
    SKIP_WITHOUT_ONNX();
    const ImportedModel model = importOnnxModel(fixture("resnet50-structure.onnx"));
    EXPECT_FALSE(model.graph.weightsInFile);
    const std::vector<std::string> stem = {"Conv", "BatchNormalization", "Relu", "MaxPool"};
    const std::vector<std::string> head = {"GlobalAveragePool", "Flatten", "Gemm"};
    const std::vector<std::string> all = kinds(model);
    ASSERT_EQ(all.size(), stem.size() + 16 + head.size());
    EXPECT_EQ(std::vector<std::string>(all.begin(), all.begin() + 4), stem);
    EXPECT_EQ(std::vector<std::string>(all.end() - 3, all.end()), head);
    for (size_t block = 4; block < 20; ++block) {
        EXPECT_EQ(all[block], "Block");
        EXPECT_NE(model.units[block].description.find("Add"), std::string::npos);
    }
    // torchvision's 25,557,032 parameters, counted from the weights' shapes
    // (the batch norms' running statistics are buffers, not parameters).
    int64_t parameterBytes = 0;
    double forwardFlops = 0.0;
    for (const GraphUnit& unit : model.units) {
        parameterBytes += unit.cost.parameterBytes;
        forwardFlops += unit.cost.forwardFlops;
    }
    EXPECT_EQ(parameterBytes, 25557032 * 4);
    // About 4.1 G multiply–adds per 224x224 image: 8.2 GFLOP.
    EXPECT_NEAR(forwardFlops, 8.2e9, 0.2e9);
}

TEST(OnnxImport, AUNetKeepsFewCutsAndTrains)
{
    SKIP_WITHOUT_ONNX();
    const ImportedModel model = importOnnxModel(fixture("unet-mini.onnx"));
    // Everything from the first skip's source to its reader is one unit.
    EXPECT_GE(model.largestUnitOperations * 3, model.operations);
    EXPECT_LT(model.units.size() * 2, size_t(model.operations));
    EXPECT_TRUE(model.untrainedOps.empty()); // its upsampling ConvTranspose included
    EXPECT_EQ(whyNotTrainable(fixture("unet-mini.onnx")), "");
}

TEST(OnnxImport, AttentionBlocksOfAGptBecomeUnits)
{
    SKIP_WITHOUT_ONNX();
    const ImportedModel model = importOnnxModel(fixture("gpt-tiny.onnx"));
    // The embeddings, each block's attention half (LayerNorm, attention, residual
    // add) and MLP half, the final LayerNorm (exported decomposed) and the head.
    EXPECT_EQ(kinds(model), (std::vector<std::string>{"Gather", "Add", "Block", "Block", "Block", "Block",
                                                      "LayerNormalization", "MatMul"}));
    for (size_t block : {2, 4})
        EXPECT_NE(model.units[block].description.find("Softmax"), std::string::npos);
    EXPECT_TRUE(model.untrainedOps.empty()); // the Reciprocal of the attention's scale is shape arithmetic
    // 2 blocks of 49,984 parameters, both embeddings, the final LayerNorm and the head.
    int64_t parameters = 0;
    for (const GraphUnit& unit : model.units)
        parameters += unit.cost.parameterBytes / 4;
    EXPECT_EQ(parameters, 2 * 49984 + 256 * 64 + 64 * 64 + 2 * 64 + 64 * 256);
    const ModelOutline outline = outlineImportedModel(model);
    EXPECT_EQ(outline.tokens, 64);
    EXPECT_EQ(outline.units.back().outputShape, "(64, 256)");
    for (const GraphUnit& unit : model.units)
        EXPECT_FALSE(unit.estimated) << unit.description;
}

TEST(OnnxImport, Gpt2SmallWithoutWeightsHasTheZoosParametersAndWork)
{
    SKIP_WITHOUT_ONNX();
    const ImportedModel model = importOnnxModel(fixture("gpt2-small-structure.onnx"));
    EXPECT_FALSE(model.graph.weightsInFile);
    const std::vector<std::string> all = kinds(model);
    ASSERT_EQ(all.size(), 2u + 24u + 2u); // embeddings, 12 x (attention half, MLP half), LayerNorm, head
    EXPECT_EQ(all[26], "LayerNormalization");
    EXPECT_EQ(all[27], "MatMul");
    const ModelOutline imported = outlineImportedModel(model);
    const ModelOutline zoo = outlineModel("gpt2-small");
    EXPECT_EQ(imported.tokens, zoo.tokens);
    EXPECT_EQ(imported.parameterBytes(), zoo.parameterBytes()); // 163,037,184 parameters, the head untied
    EXPECT_NEAR(imported.forwardFlops(), zoo.forwardFlops(), 0.01 * zoo.forwardFlops());
    EXPECT_EQ(imported.units.back().outputShape, "(1024, 50257)");
}

TEST(OnnxImport, ImportedCostsPlanLikeAnyOther)
{
    SKIP_WITHOUT_ONNX();
    const ModelCosts costs = describeAnyModelCosts(fixture("mobilenet-mini.onnx"), 8);
    EXPECT_EQ(costs.model, fixture("mobilenet-mini.onnx"));
    EXPECT_EQ(costs.microBatchSize, 8);
    EXPECT_GT(costs.unitCount(), 5);
    validateModelCosts(costs);
    EXPECT_EQ(whyNotTrainable(fixture("mobilenet-mini.onnx")), "");
    EXPECT_EQ(whyNotTrainable(fixture("gpt-tiny.onnx")), "");
    EXPECT_EQ(whyNotTrainable(fixture("cnn.onnx")), "");
    EXPECT_EQ(whyNotTrainable("resnet-mini"), "");
}

nlohmann::json readJson(const std::string& path)
{
    std::ifstream file(path);
    return nlohmann::json::parse(file);
}

// A reference file's "input": N samples of the model's sample shape (images,
// or token ids held in floats).
Tensor inputOf(const nlohmann::json& reference, const Model& model)
{
    const std::vector<float> input = reference.at("input").get<std::vector<float>>();
    const int64_t samples = reference.at("input_shape").at(0).get<int64_t>();
    Tensor batch(model.inputShape(samples));
    EXPECT_EQ(int64_t(input.size()), batch.elementCount());
    std::copy(input.begin(), input.end(), batch.data());
    return batch;
}

void expectCloseTo(const Tensor& ours, const std::vector<float>& theirs, const std::string& what)
{
    ASSERT_EQ(ours.elementCount(), int64_t(theirs.size())) << what;
    for (size_t i = 0; i < theirs.size(); ++i)
        EXPECT_NEAR(ours.data()[i], theirs[i], 1e-4f * std::max(1.0f, std::abs(theirs[i]))) << what << " " << i;
}

// The forward of an imported model from the file's weights, evaluation
// mode, against PyTorch's outputs for the same input (written by
// scripts/make-onnx-fixtures.py): image classifiers, and a GPT-style
// language model of token ids (its attention as MatMul, Softmax and a
// causal mask through Slice, Equal and Where).
class ImportedForward : public ::testing::TestWithParam<std::string> {};

TEST_P(ImportedForward, ComputesPyTorchsOutputs)
{
    SKIP_WITHOUT_ONNX();
    Model model = modelFromImported(importOnnxModel(fixture(GetParam() + ".onnx")));
    ParameterStore store(model);
    store.initialize(7); // the file's weights, whatever the seed
    const nlohmann::json reference = readJson(fixture(GetParam() + ".forward.json"));
    CpuBackend backend(1);
    Tensor activation = inputOf(reference, model);
    for (int unit = 0; unit < model.unitCount(); ++unit) {
        std::unique_ptr<LayerContext> none;
        activation = model.unit(unit).forward(backend, std::move(activation), StepInfo{false, 0, 0}, none);
    }
    const std::vector<int64_t> shape = reference.at("output_shape").get<std::vector<int64_t>>();
    ASSERT_EQ(activation.shape().rank(), int(shape.size()));
    for (size_t axis = 0; axis < shape.size(); ++axis)
        EXPECT_EQ(activation.shape()[int(axis)], shape[axis]);
    expectCloseTo(activation, reference.at("output").get<std::vector<float>>(), "logit");
}

// One training step from the file's weights: the training-mode logits, the
// loss, and the weights and running statistics after one SGD step (lr 0.1,
// no momentum, cross-entropy averaged over the batch), against PyTorch's.
TEST_P(ImportedForward, TakesPyTorchsSgdStep)
{
    SKIP_WITHOUT_ONNX();
    const ImportedModel imported = importOnnxModel(fixture(GetParam() + ".onnx"));
    Model model = modelFromImported(imported);
    ParameterStore store(model);
    store.initialize(7);
    store.zeroGradients();
    const nlohmann::json reference = readJson(fixture(GetParam() + ".sgd-step.json"));
    const std::vector<int32_t> labels = reference.at("labels").get<std::vector<int32_t>>();
    const auto rows = int64_t(labels.size());
    CpuBackend backend(1);
    std::vector<std::unique_ptr<LayerContext>> contexts;
    const int last = model.unitCount() - 1;
    const Tensor logits = forwardUnits(backend, model, 0, last, inputOf(reference, model), 7, 0, 0, contexts);
    expectCloseTo(logits, reference.at("train_output").get<std::vector<float>>(), "training logit");
    Tensor gradLogits = Tensor::uninitialized(logits.shape());
    int64_t correct = 0;
    const double loss = backend.softmaxCrossEntropy(rows, model.classes(), logits.data(), labels.data(),
                                                    1.0f / float(rows), gradLogits.data(), &correct);
    EXPECT_NEAR(loss / double(rows), reference.at("loss").get<double>(), 1e-5);
    backwardUnits(backend, model, 0, last, std::move(gradLogits), contexts);
    SgdHyper sgd;
    sgd.learningRate = reference.at("learning_rate").get<float>();
    backend.sgdUpdate(store.parameterCount(), sgd, store.values(), store.gradients(), nullptr);

    // Every tensor of the reference, found by the file's name it was imported
    // from; one that trains nothing (a causal mask) is a constant, still the file's.
    std::map<std::string, const float*> ours;
    for (ParameterSlot* slot : store.parameterSlots())
        ours[slot->importedFrom] = slot->value;
    std::vector<BufferSlot*> buffers;
    for (int unit = 0; unit <= last; ++unit)
        model.unit(unit).collectBuffers(unitPrefix(unit), buffers);
    for (BufferSlot* slot : buffers)
        ours[slot->importedFrom] = slot->value;
    for (const auto& [name, values] : imported.graph.weightValues)
        ours.emplace(name, values->data());
    int compared = 0;
    for (const auto& [name, sampled] : reference.at("tensors").items()) {
        const auto found = ours.find(name);
        ASSERT_NE(found, ours.end()) << name << " has no parameter or buffer";
        const auto stride = sampled.at("stride").get<size_t>();
        const std::vector<float> values = sampled.at("values").get<std::vector<float>>();
        for (size_t i = 0; i < values.size(); ++i, ++compared)
            EXPECT_NEAR(found->second[i * stride], values[i], 1e-4f * std::max(1.0f, std::abs(values[i])))
                << name << "[" << i * stride << "]";
    }
    EXPECT_GT(compared, 1000);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ImportedForward,
                         ::testing::Values("cnn", "resnet-mini", "mobilenet-mini", "unet-mini", "gpt-tiny",
                                           "resnet18-narrow"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             std::string name = info.param;
                             std::replace(name.begin(), name.end(), '-', '_');
                             return name;
                         });

TEST(OnnxImport, WhatCannotTrainYetIsRefusedNamingTheUnit)
{
    SKIP_WITHOUT_ONNX();
    // Structure only, a GPT's causal mask (a buffer, not a parameter) has no values to compute with.
    expectError<InvalidArgument>(
        [] { modelFromImported(importOnnxModel(fixture("gpt2-small-structure.onnx"))); },
        {"gpt2-small-structure.onnx", "unit 2", "'blocks.0.mask'", "has no values in the file"});
    // Structure only: the seed initialises what the file does not hold, and the units still train.
    const Model vgg = modelFromImported(importOnnxModel(fixture("vgg16-structure.onnx")));
    EXPECT_EQ(vgg.classes(), 1000);
}

// What --export-onnx refuses to write: values of another size than the
// file's tensor, and a tensor the file does not have.
TEST(OnnxImport, ExportRefusesTensorsThatDoNotFitTheFile)
{
    SKIP_WITHOUT_ONNX();
    Model model = modelFromImported(importOnnxModel(fixture("cnn.onnx")));
    ParameterStore store(model);
    store.initialize(1);
    const std::string out = (std::filesystem::temp_directory_path() / "lpm_export_refused.onnx").string();
    std::map<std::string, ExportedTensor> tensors = importedTensors(store);
    ASSERT_EQ(tensors.count("conv1.weight"), 1u);
    tensors["conv1.weight"].values.resize(5);
    expectError<InvalidArgument>(
        [&] { writeOnnxWithWeights(fixture("cnn.onnx"), tensors, out); },
        {"cnn.onnx", "tensor 'conv1.weight' holds 288 values in the file", "the trained model 5"});
    tensors = importedTensors(store);
    tensors["nowhere"] = ExportedTensor{{1}, {0.0f}};
    expectError<InvalidArgument>([&] { writeOnnxWithWeights(fixture("cnn.onnx"), tensors, out); },
                                 {"cnn.onnx", "'nowhere'", "neither an initializer"});
    EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(OnnxImport, BrokenFilesAreRefusedNamingTheProblem)
{
    SKIP_WITHOUT_ONNX();
    const std::filesystem::path folder = std::filesystem::temp_directory_path() / "lpm_onnx_import_test";
    std::filesystem::create_directories(folder);
    auto write = [&](const std::string& name, const std::string& bytes) {
        const std::string path = (folder / name).string();
        std::ofstream(path, std::ios::binary) << bytes;
        return path;
    };
    std::ifstream in(fixture("cnn.onnx"), std::ios::binary);
    const std::string whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string truncated = write("truncated.onnx", whole.substr(0, whole.size() / 3));
    expectError([&] { importOnnxModel(truncated); }, {truncated, "not an ONNX model"});
    const std::string garbage = write("garbage.onnx", std::string(64, '\xff'));
    expectError([&] { importOnnxModel(garbage); }, {garbage, "not an ONNX model"});
    const std::string empty = write("empty.onnx", "");
    expectError([&] { importOnnxModel(empty); }, {empty, "no graph"});
    const std::string missing = (folder / "absent.onnx").string();
    expectError([&] { importOnnxModel(missing); }, {missing});
#ifdef LPM_TEST_HAVE_ONNX
    auto edited = [&](const std::string& name, const std::function<void(onnx::ModelProto&)>& change) {
        onnx::ModelProto model;
        EXPECT_TRUE(model.ParseFromString(whole));
        change(model);
        return write(name, model.SerializeAsString());
    };
    const std::string future =
        edited("future.onnx", [](onnx::ModelProto& model) { model.mutable_opset_import(0)->set_version(99); });
    expectError([&] { importOnnxModel(future); }, {future, "opset 99", "re-export"});
    const std::string noInitializer = edited("no-initializer.onnx", [](onnx::ModelProto& model) {
        model.mutable_graph()->mutable_initializer()->RemoveLast();
    });
    expectError([&] { importOnnxModel(noInitializer); }, {noInitializer, "missing initializer"});
    const std::string fixedBatch = edited("fixed-batch.onnx", [](onnx::ModelProto& model) {
        model.mutable_graph()
            ->mutable_input(0)
            ->mutable_type()
            ->mutable_tensor_type()
            ->mutable_shape()
            ->mutable_dim(0)
            ->set_dim_value(1);
    });
    expectError([&] { importOnnxModel(fixedBatch); }, {fixedBatch, "batch dimension", "dynamic_axes"});
    const std::string cycle = edited("cycle.onnx", [](onnx::ModelProto& model) {
        // The first convolution reads the last node's output: a loop.
        onnx::GraphProto& graph = *model.mutable_graph();
        *graph.mutable_node(0)->mutable_input(0) = graph.node(graph.node_size() - 2).output(0);
    });
    expectError([&] { importOnnxModel(cycle); }, {cycle, "cycle"});
    const std::string foreignOpset = edited("foreign-opset.onnx", [](onnx::ModelProto& model) {
        model.mutable_opset_import(0)->set_domain("com.example");
    });
    expectError([&] { importOnnxModel(foreignOpset); }, {foreignOpset, "no opset of the default ONNX domain"});
    const std::string batchNotFirst = edited("batch-not-first.onnx", [](onnx::ModelProto& model) {
        onnx::TensorShapeProto& shape =
            *model.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
        shape.mutable_dim(0)->set_dim_value(1);
        shape.mutable_dim(1)->set_dim_param("channels");
    });
    expectError([&] { importOnnxModel(batchNotFirst); }, {batchNotFirst, "no symbolic batch dimension first"});
    const std::string shortWeights = edited("short-weights.onnx", [](onnx::ModelProto& model) {
        onnx::TensorProto& weight = *model.mutable_graph()->mutable_initializer(0);
        weight.set_raw_data(weight.raw_data().substr(0, 8));
    });
    expectError([&] { importOnnxModel(shortWeights); }, {shortWeights, "holds 8 bytes for"});
    const std::string external = edited("external.onnx", [](onnx::ModelProto& model) {
        model.mutable_graph()->mutable_initializer(0)->set_data_location(onnx::TensorProto_DataLocation_EXTERNAL);
    });
    expectError([&] { importOnnxModel(external); }, {external, "external file"});
#endif
    std::filesystem::remove_all(folder);
}

} // namespace
} // namespace lpm
