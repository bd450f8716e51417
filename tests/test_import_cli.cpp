// End-to-end tests of ONNX import on the command line: `lpm import`, `lpm
// models PATH.onnx`, and planning and simulating an imported network, with
// the refusals of what imported models cannot do yet.
#include "cli_test_support.h"

#include "graph/model_source.h"
#include "graph/onnx_model_builder.h"
#include "graph/onnx_reader.h"
#include "io/npy_file.h"
#include "nn/parameter_store.h"

namespace lpm::testing_cli {
namespace {

std::string fixture(const std::string& name)
{
    return quote(std::string(LPM_TEST_DATA_DIR) + "/onnx/" + name);
}

class ImportCli : public Cli {
protected:
    void SetUp() override
    {
        if (!onnxImportAvailable())
            GTEST_SKIP() << "this build has no ONNX import (libonnx-dev)";
        Cli::SetUp();
    }
};

TEST_F(ImportCli, ImportPrintsTheUnitsTheirNodesAndWritesJson)
{
    const fs::path report = path("import.json");
    const RunResult result = lpm("import " + fixture("resnet-mini.onnx") + " --nodes --json " + quote(report.string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    EXPECT_THAT(result.out, HasSubstr("12 units"));
    EXPECT_THAT(result.out, HasSubstr("Conv x2, BatchNormalization x2, Relu x2, Add"));
    EXPECT_THAT(result.out, HasSubstr("input:  input (batch, 1, 28, 28)"));
    EXPECT_THAT(result.out, HasSubstr("output: logits (batch, 10)"));
    EXPECT_THAT(result.out, HasSubstr("/blocks/blocks.0/conv1/Conv /blocks/blocks.0/bn1/BatchNormalization"));
    const json document = readJson(report);
    ASSERT_EQ(document.at("units").size(), 12u);
    EXPECT_EQ(document.at("opset"), 13);
    EXPECT_EQ(document.at("weights_in_file"), true);
    EXPECT_EQ(document.at("units")[3].at("kind"), "Block");
    // Its seven operations, and the Identity nodes through which PyTorch shares
    // the batch norms' equal initial weights.
    int operations = 0;
    for (const json& node : document.at("units")[3].at("nodes"))
        operations += node.at("op") != "Identity";
    EXPECT_EQ(operations, 7);
    EXPECT_EQ(document.at("units")[3].at("estimated"), false);
    EXPECT_TRUE(document.at("untrained_ops").empty());
}

TEST_F(ImportCli, ModelsShowsAnOnnxFileAndImportSaysWhetherItTrains)
{
    const RunResult models = lpm("models " + fixture("unet-mini.onnx"));
    ASSERT_EQ(models.exitCode, 0) << models.err;
    EXPECT_THAT(models.out, HasSubstr("imported from ONNX (opset 13)"));
    const RunResult imported = lpm("import " + fixture("unet-mini.onnx"));
    ASSERT_EQ(imported.exitCode, 0) << imported.err;
    EXPECT_THAT(imported.out, HasSubstr("few places to cut"));
    EXPECT_THAT(imported.out, HasSubstr("trains: lpm train --model"));
    EXPECT_THAT(imported.out, testing::Not(HasSubstr("ops outside the set")));
}

TEST_F(ImportCli, AnImportedResNet50IsPlannedForGpusAndSimulated)
{
    const fs::path planFile = path("plan.json");
    const fs::path report = path("report.json");
    const RunResult plan = lpm("plan --model " + fixture("resnet50-structure.onnx") + " --devices catalog:V100x4 --out "
                               + quote(planFile.string()) + " --json " + quote(report.string()));
    ASSERT_EQ(plan.exitCode, 0) << plan.err;
    const json document = readJson(report);
    const json& stages = document.at("stages");
    ASSERT_EQ(stages.size(), 4u);
    EXPECT_EQ(stages.back().at("last_unit"), 22); // stem 4, bottlenecks 16, head 3
    EXPECT_GT(document.at("predicted_speedup").get<double>(), 1.5);
    const RunResult simulate = lpm("simulate --plan " + quote(planFile.string()));
    ASSERT_EQ(simulate.exitCode, 0) << simulate.err;
    EXPECT_THAT(simulate.out, HasSubstr("predicted: iteration"));
}

// PyTorch exports train from their files' weights, and every kind of exact
// schedule (one-forward-one-backward, lpm's unlocking, the B/W split,
// interleaved chunks) leaves the weights of sequential's, bit for bit: the
// zoo's cnn (a zoo layer per unit), resnet-mini (residual blocks merged into
// graph units, batch norm's running statistics included), mobilenet-mini
// (depthwise convolutions, ReLU6), unet-mini (long skips, ConvTranspose),
// gpt-tiny (a language model: token embeddings, attention with a causal
// mask, decomposed LayerNorm and GELU) and resnet18-narrow (torchvision's
// ResNet-18 layout: a 7x7 stride-2 stem and a padded max pool).
TEST_F(ImportCli, ImportedModelsTrainPipelinedExactlyAsSequential)
{
    const std::vector<std::pair<std::string, std::vector<std::string>>> runs = {
        {"cnn.onnx", {"1f1b", "lpm", "zb-h1", "interleaved"}},
        {"resnet-mini.onnx", {"1f1b", "lpm", "zb-h1", "interleaved"}},
        {"mobilenet-mini.onnx", {"lpm", "zb-h1"}},
        {"unet-mini.onnx", {"lpm"}},
        {"gpt-tiny.onnx", {"lpm", "zb-h1"}},
        {"resnet18-narrow.onnx", {"1f1b", "lpm"}}};
    for (const auto& [model, schedules] : runs)
        for (const std::string& schedule : schedules) {
            SCOPED_TRACE(model + " " + schedule);
            const fs::path report = path(schedule + ".json");
            const bool text = model == "gpt-tiny.onnx"; // a language model, on the default corpus
            const RunResult result =
                lpm("train --model " + fixture(model) + (text ? " --batch 8" : " --dataset synthetic --batch 32")
                    + " --steps 4 --micro-batches 4 --devices cpu:2 --schedule " + schedule
                    + " --compare-sequential --quiet --json " + quote(report.string()));
            ASSERT_EQ(result.exitCode, 0) << result.err;
            const json document = readJson(report);
            EXPECT_EQ(document.at("weights_equal_sequential"), true);
            EXPECT_EQ(document.at("weights_difference_from_sequential").get<double>(), 0.0);
        }
    const RunResult imported = lpm("import " + fixture("resnet-mini.onnx"));
    EXPECT_THAT(imported.out, HasSubstr("trains: lpm train --model"));
}

// --export-onnx writes the trained weights and running statistics into a
// copy of the file; imported again it gives the same weights digest (the
// Identity nodes through which PyTorch shared the batch norms' equal initial
// weights become initializers of their own).
TEST_F(ImportCli, ExportedWeightsImportAgainBitForBit)
{
    const fs::path exported = path("trained.onnx");
    const fs::path report = path("train.json");
    const RunResult train = lpm("train --model " + fixture("resnet-mini.onnx")
                                + " --dataset synthetic --steps 3 --batch 16 --quiet --export-onnx "
                                + quote(exported.string()) + " --json " + quote(report.string()));
    ASSERT_EQ(train.exitCode, 0) << train.err;
    EXPECT_THAT(train.out, HasSubstr("trained weights written into a copy of"));
    const std::string trained = readJson(report).at("weights_digest");
    Model model = modelFromImported(importOnnxModel(exported.string()));
    ParameterStore store(model);
    store.initialize(99); // the file's values, whatever the seed
    EXPECT_EQ(weightsDigest(store), trained);
    Model original = modelFromImported(importOnnxModel(std::string(LPM_TEST_DATA_DIR) + "/onnx/resnet-mini.onnx"));
    ParameterStore before(original);
    before.initialize(99);
    EXPECT_NE(weightsDigest(before), trained); // the steps changed them

    const RunResult zoo =
        lpm("train --model cnn --dataset synthetic --steps 1 --export-onnx " + quote(path("zoo.onnx").string()));
    EXPECT_EQ(zoo.exitCode, 1);
    EXPECT_THAT(zoo.err, HasSubstr("is not an ONNX file"));
    EXPECT_FALSE(fs::exists(path("zoo.onnx")));
}

// `lpm infer` runs the forward over a .npy array: PyTorch's outputs for the
// imported resnet-mini (residual blocks as graph units), in batches of one.
TEST_F(ImportCli, InferWritesPyTorchsOutputsForAnNpyInput)
{
    const json reference = readJson(std::string(LPM_TEST_DATA_DIR) + "/onnx/resnet-mini.forward.json");
    const std::vector<float> images = reference.at("input").get<std::vector<float>>();
    writeNpy(path("x.npy"), NpyArray{{2, 1, 28, 28}, images});
    const RunResult infer =
        lpm("infer --model " + fixture("resnet-mini.onnx") + " --input " + quote(path("x.npy").string()) + " --output "
            + quote(path("y.npy").string()) + " --batch 1");
    ASSERT_EQ(infer.exitCode, 0) << infer.err;
    EXPECT_THAT(infer.out, HasSubstr("outputs (2, 10) written to"));
    const NpyArray logits = readNpy(path("y.npy"));
    EXPECT_EQ(logits.shape, (std::vector<int64_t>{2, 10}));
    const std::vector<float> expected = reference.at("output").get<std::vector<float>>();
    ASSERT_EQ(logits.values.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i)
        EXPECT_NEAR(logits.values[i], expected[i], 1e-4f * std::max(1.0f, std::abs(expected[i])));

    const RunResult trained = lpm("train --model cnn --dataset synthetic --steps 1 --quiet --save-checkpoint "
                                  + quote(path("cnn.ckpt").string()));
    ASSERT_EQ(trained.exitCode, 0) << trained.err;
    const RunResult other =
        lpm("infer --model " + fixture("resnet-mini.onnx") + " --input " + quote(path("x.npy").string()) + " --output "
            + quote(path("z.npy").string()) + " --checkpoint " + quote(path("cnn.ckpt").string()));
    EXPECT_EQ(other.exitCode, 1);
    EXPECT_THAT(other.err, HasSubstr("is a checkpoint of cnn, not of"));
    const RunResult wrong = lpm("infer --model cnn --input " + quote(path("y.npy").string()) + " --output "
                                + quote(path("z.npy").string()));
    EXPECT_EQ(wrong.exitCode, 1);
    EXPECT_THAT(wrong.err, HasSubstr("holds an array of shape (2, 10); cnn takes (N, 1, 28, 28)"));
    EXPECT_FALSE(fs::exists(path("z.npy")));
}

// A structure-only GPT plans, but its causal mask (a buffer PyTorch exports
// as a weight) has no values to train with.
TEST_F(ImportCli, WhatImportedModelsCannotDoYetIsRefusedPlainly)
{
    const RunResult train =
        lpm("train --model " + fixture("gpt2-small-structure.onnx") + " --devices cpu:1 --epochs 1");
    EXPECT_EQ(train.exitCode, 1);
    EXPECT_THAT(train.err, HasSubstr("unit 2"));
    EXPECT_THAT(train.err, HasSubstr("'blocks.0.mask', read by node '/blocks/blocks.0/Slice' as a constant, has no "
                                     "values in the file"));
    const RunResult plan = lpm("plan --model " + fixture("gpt2-small-structure.onnx") + " --devices cpu:2");
    EXPECT_EQ(plan.exitCode, 1);
    EXPECT_THAT(plan.err, HasSubstr("cannot be profiled on this CPU"));
    EXPECT_THAT(plan.err, HasSubstr("--costs"));
    const RunResult imported = lpm("import " + fixture("gpt2-small-structure.onnx"));
    EXPECT_THAT(imported.out, HasSubstr("training: not yet: "));
    const RunResult gpus =
        lpm("plan --model " + fixture("gpt2-small-structure.onnx") + " --devices catalog:H100x4 --batch 8");
    EXPECT_EQ(gpus.exitCode, 0) << gpus.err;
}

TEST_F(ImportCli, ABrokenOrMissingFileIsNamed)
{
    const fs::path garbage = path("garbage.onnx");
    std::ofstream(garbage) << "this is not a protobuf, just text";
    const RunResult broken = lpm("import " + quote(garbage.string()));
    EXPECT_EQ(broken.exitCode, 1);
    EXPECT_THAT(broken.err, HasSubstr(garbage.string()));
    const RunResult missing = lpm("plan --model " + quote(path("absent.onnx").string()) + " --devices catalog:V100x2");
    EXPECT_EQ(missing.exitCode, 1);
    EXPECT_THAT(missing.err, HasSubstr("absent.onnx"));
    const RunResult notOnnx = lpm("import resnet-mini");
    EXPECT_EQ(notOnnx.exitCode, 1);
    EXPECT_THAT(notOnnx.err, HasSubstr("expected an ONNX file"));
}

} // namespace
} // namespace lpm::testing_cli
