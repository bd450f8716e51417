// The model zoo: every model builds, chains its shapes, and reports costs.
#include <gtest/gtest.h>

#include "nn/model_zoo.h"
#include "nn/parameter_store.h"
#include "nn/residual_block.h"
#include "tensor/error.h"

namespace lpm {
namespace {

int64_t parameterCount(Model& model)
{
    ParameterStore store(model);
    return store.parameterCount();
}

TEST(ModelZoo, EveryModelBuildsAndEndsInItsLogits)
{
    ASSERT_EQ(modelZoo().size(), 11u);
    for (const ZooEntry& entry : modelZoo()) {
        Model model = buildModel(entry.name);
        const Shape logits = model.tokens() > 0 ? Shape{7, model.tokens(), model.classes()} : Shape{7, 10};
        EXPECT_EQ(model.unitOutputShapes(7).back(), logits) << entry.name;
        const std::vector<UnitCost> costs = model.unitCosts();
        for (int unit = 0; unit < model.unitCount(); ++unit) {
            const UnitCost& cost = costs[size_t(unit)];
            if (cost.parameterBytes > 0) { // a layer with weights multiplies by them
                EXPECT_GT(cost.forwardFlops, 0.0) << entry.name;
                if (model.unit(unit).kind() == "TokenEmbedding") // token ids have no gradient: only W works
                    EXPECT_EQ(cost.backwardFlops, cost.weightGradientFlops) << entry.name;
                else
                    EXPECT_GT(cost.backwardFlops, cost.weightGradientFlops) << entry.name; // B and W both work
            }
            EXPECT_GT(cost.outputBytes, 0) << entry.name;
        }
    }
}

TEST(ModelZoo, ParameterCountsMatchTheArchitectures)
{
    // gpt-mini: embeddings (256 + 64)·128; per block 2 LayerNorms (2·2·128), QKV 128·384 + 384, proj
    // 128·128 + 128, MLP 128·512 + 512 + 512·128 + 128; head LayerNorm 2·128 and 128·256 (no bias).
    Model gpt = buildModel("gpt-mini");
    const int64_t block = 4 * 128 + (128 * 384 + 384) + (128 * 128 + 128) + (128 * 512 + 512) + (512 * 128 + 128);
    EXPECT_EQ(parameterCount(gpt), (256 + 64) * 128 + 4 * block + 2 * 128 + 128 * 256);
    EXPECT_EQ(gpt.unitCount(), 6); // the embeddings, four blocks, the head
    // GPT-2 small: the published 124M (with its 50257·768 head untied: 163M).
    Model small = buildModel("gpt2-small");
    const int64_t smallBlock = 12 * 768 * 768 + 13 * 768;
    EXPECT_EQ(parameterCount(small), (50257 + 1024) * 768 + 12 * smallBlock + 2 * 768 + 768 * 50257);
    EXPECT_EQ(parameterCount(small) - 768 * 50257, 124439808); // GPT-2 small as published (tied head)
    Model mlp = buildModel("mlp");
    EXPECT_EQ(parameterCount(mlp), 784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10);
    Model cnn = buildModel("cnn");
    EXPECT_EQ(parameterCount(cnn), (9 * 32 + 32) + (9 * 32 * 64 + 64) + (3136 * 128 + 128) + 1290);
    Model lenet = buildModel("lenet5");
    EXPECT_EQ(parameterCount(lenet), 156 + 2416 + 48120 + 10164 + 850);
    // Units cost what their parameter bytes say.
    int64_t bytes = 0;
    for (const UnitCost& cost : cnn.unitCosts())
        bytes += cost.parameterBytes;
    EXPECT_EQ(bytes, int64_t(sizeof(float)) * parameterCount(cnn));
}

TEST(ModelZoo, UnitsStateWhatTheWeightGradientsTakeAndKeep)
{
    // mlp: flatten, then linear 784->512 (x and dy kept from B to W: 784 + 512 floats per sample, half the
    // backward's FLOPs), relu (nothing for W).
    Model mlp = buildModel("mlp");
    const std::vector<UnitCost> costs = mlp.unitCosts();
    EXPECT_EQ(costs[1].weightGradientBytes, int64_t(sizeof(float)) * (784 + 512));
    EXPECT_DOUBLE_EQ(costs[1].weightGradientFlops, 0.5 * costs[1].backwardFlops);
    EXPECT_EQ(costs[2].weightGradientBytes, 0);
    EXPECT_EQ(costs[2].weightGradientFlops, 0.0);
    // A residual block's W is its convolutions'.
    Model resnet = buildModel("resnet-mini");
    for (int u = 0; u < resnet.unitCount(); ++u)
        if (resnet.unit(u).kind() == "ResidualBlock") {
            const UnitCost block = resnet.unitCosts()[size_t(u)];
            EXPECT_GT(block.weightGradientBytes, block.outputBytes);
            EXPECT_GT(block.weightGradientFlops, 0.4 * block.backwardFlops);
            EXPECT_LT(block.weightGradientFlops, 0.5 * block.backwardFlops); // batch norm's B has no W half
        }
}

TEST(ModelZoo, ResnetBlocksCarryAboutTheSameFlops)
{
    Model model = buildModel("resnet-mini");
    std::vector<double> blockFlops;
    const std::vector<UnitCost> costs = model.unitCosts();
    for (int i = 0; i < model.unitCount(); ++i)
        if (model.unit(i).kind() == "ResidualBlock")
            blockFlops.push_back(costs[size_t(i)].forwardFlops);
    ASSERT_EQ(blockFlops.size(), 6u);
    for (double flops : blockFlops)
        EXPECT_NEAR(flops / blockFlops[0], 1.0, 0.25); // downsampling blocks: about 0.77
}

TEST(ModelZoo, ParameterNamesAreQualifiedByUnit)
{
    Model model = buildModel("resnet-mini");
    ParameterStore store(model, 3, 3);
    ASSERT_FALSE(store.parameterSlots().empty());
    EXPECT_EQ(store.parameterSlots().front()->name, "unit3.conv1.weight");
    EXPECT_EQ(store.bufferSlots().front()->name, "unit3.bn1.running_mean");
}

TEST(ModelZoo, InitialisationDoesNotDependOnHowTheModelIsCut)
{
    Model whole = buildModel("cnn"), cut = buildModel("cnn");
    ParameterStore all(whole);
    all.initialize(11);
    ParameterStore head(cut, 0, 4);
    head.initialize(11);
    ASSERT_LT(head.parameterCount(), all.parameterCount());
    EXPECT_TRUE(std::equal(head.values(), head.values() + head.parameterCount(), all.values()));
}

TEST(ModelZoo, UnknownModelListsTheKnownOnes)
{
    try {
        buildModel("alexnet");
        FAIL() << "expected an error";
    } catch (const InvalidArgument& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("alexnet"), std::string::npos);
        EXPECT_NE(message.find("resnet-mini"), std::string::npos);
    }
}

} // namespace
} // namespace lpm
