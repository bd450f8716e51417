#include "nn/model_zoo.h"

#include "nn/avg_pool2d.h"
#include "nn/batch_norm2d.h"
#include "nn/conv2d.h"
#include "nn/dropout.h"
#include "nn/flatten.h"
#include "nn/language_model_head.h"
#include "nn/linear.h"
#include "nn/max_pool2d.h"
#include "nn/relu.h"
#include "nn/residual_block.h"
#include "nn/token_embedding.h"
#include "nn/transformer_block.h"
#include "tensor/error.h"

namespace lpm {

namespace {

// Appends units to a chain with short, readable calls.
class ChainBuilder {
public:
    ChainBuilder& conv(int64_t in, int64_t out, int64_t kernel, int64_t padding, bool bias = true)
    {
        return add(std::make_unique<Conv2d>(Conv2dOptions{in, out, kernel, 1, padding, bias}));
    }
    ChainBuilder& batchNorm(int64_t channels)
    {
        return add(std::make_unique<BatchNorm2d>(BatchNorm2dOptions{channels}));
    }
    ChainBuilder& relu() { return add(std::make_unique<Relu>()); }
    ChainBuilder& maxPool() { return add(std::make_unique<MaxPool2d>(MaxPool2dOptions{2, 2})); }
    ChainBuilder& globalAvgPool() { return add(std::make_unique<AvgPool2d>(AvgPool2dOptions{0, 0, true})); }
    ChainBuilder& flatten() { return add(std::make_unique<Flatten>()); }
    ChainBuilder& linear(int64_t in, int64_t out)
    {
        return add(std::make_unique<Linear>(LinearOptions{in, out, true}));
    }
    ChainBuilder& dropout(float p) { return add(std::make_unique<Dropout>(DropoutOptions{p})); }
    ChainBuilder& residual(int64_t in, int64_t out, int64_t stride)
    {
        return add(std::make_unique<ResidualBlock>(ResidualBlockOptions{in, out, stride}));
    }
    // conv3x3 (no bias) → BN → ReLU, three units.
    ChainBuilder& convBnRelu(int64_t in, int64_t out) { return conv(in, out, 3, 1, false).batchNorm(out).relu(); }

    Model build(std::string name) { return Model(std::move(name), Shape{1, 28, 28}, 10, std::move(units_)); }

private:
    ChainBuilder& add(std::unique_ptr<Layer> unit)
    {
        units_.push_back(std::move(unit));
        return *this;
    }
    std::vector<std::unique_ptr<Layer>> units_;
};

Model buildMlp()
{
    return ChainBuilder().flatten().linear(784, 512).relu().linear(512, 256).relu().linear(256, 10).build("mlp");
}

// The chains below are written a block per line (clang-format would put
// every call on a line of its own).
// clang-format off
Model buildLenet5()
{
    return ChainBuilder()
        .conv(1, 6, 5, 2).relu().maxPool()
        .conv(6, 16, 5, 0).relu().maxPool()
        .flatten().linear(400, 120).relu().linear(120, 84).relu().linear(84, 10)
        .build("lenet5");
}

Model buildCnn()
{
    return ChainBuilder()
        .conv(1, 32, 3, 1).relu().maxPool()
        .conv(32, 64, 3, 1).relu().maxPool()
        .flatten().linear(3136, 128).relu().linear(128, 10)
        .build("cnn");
}

Model buildVggMini()
{
    return ChainBuilder()
        .convBnRelu(1, 32).convBnRelu(32, 32).maxPool()
        .convBnRelu(32, 64).convBnRelu(64, 64).maxPool()
        .convBnRelu(64, 128).convBnRelu(128, 128).maxPool()
        .flatten().linear(1152, 256).relu().dropout(0.3f).linear(256, 10)
        .build("vgg-mini");
}

Model buildResnetMini()
{
    return ChainBuilder()
        .convBnRelu(1, 16)
        .residual(16, 16, 1).residual(16, 16, 1)
        .residual(16, 32, 2).residual(32, 32, 1)
        .residual(32, 64, 2).residual(64, 64, 1)
        .globalAvgPool().flatten().linear(64, 10)
        .build("resnet-mini");
}
// clang-format on

// Eight equal residual blocks at one resolution (14 x 14, 32 channels) after a
// small stem: every block costs the same, so a layer-wise cut balances at 2,
// 4 or 8 stages, as it does in a transformer's stack of equal blocks.
Model buildResnetFlat()
{
    ChainBuilder chain;
    chain.convBnRelu(1, 32).maxPool();
    for (int block = 0; block < 8; ++block)
        chain.residual(32, 32, 1);
    return chain.globalAvgPool().flatten().linear(32, 10).build("resnet-flat");
}

// A GPT-style decoder: the embeddings, `blocks` pre-LN transformer blocks and
// the head, each one unit; token ids (T) in, logits (T, vocabulary) out.
Model buildGpt(std::string name, const GptShape& shape)
{
    std::vector<std::unique_ptr<Layer>> units;
    units.push_back(
        std::make_unique<TokenEmbedding>(TokenEmbeddingOptions{shape.vocabulary, shape.context, shape.width}));
    for (int block = 0; block < shape.blocks; ++block)
        units.push_back(std::make_unique<TransformerBlock>(TransformerBlockOptions{shape.width, shape.heads}));
    units.push_back(std::make_unique<LanguageModelHead>(LanguageModelHeadOptions{shape.width, shape.vocabulary}));
    return Model(std::move(name), Shape{shape.context}, shape.vocabulary, std::move(units));
}

} // namespace

const GptShape kGptMini{256, 64, 128, 4, 4};

namespace {
// The real sizes, by name.
const std::vector<std::pair<std::string, GptShape>>& largeGptShapes()
{
    static const std::vector<std::pair<std::string, GptShape>> shapes = {
        {"gpt2-small", {50257, 1024, 768, 12, 12}},
        {"gpt2-medium", {50257, 1024, 1024, 16, 24}},
        {"gpt2-xl", {50257, 1024, 1600, 25, 48}},
        {"decoder-7b", {32000, 2048, 4096, 32, 32}},
    };
    return shapes;
}
} // namespace

const std::vector<ZooEntry>& modelZoo()
{
    static const std::vector<ZooEntry> zoo = {
        {"mlp", "multilayer perceptron 784-512-256-10"},
        {"lenet5", "LeNet-5 (ReLU, max pooling)"},
        {"cnn", "two 3x3 conv layers, 3136-128-10 head"},
        {"vgg-mini", "VGG-style: six 3x3 conv+BN layers, dropout head"},
        {"resnet-mini", "stem + six residual blocks + global average pool"},
        {"resnet-flat", "stem + eight equal residual blocks at 14x14: cuts that balance"},
        {"gpt-mini", "GPT-style decoder on bytes: context 64, width 128, 4 heads, 4 blocks"},
        {"gpt2-small", "GPT-2 small (124M): context 1024, width 768, 12 heads, 12 blocks", true},
        {"gpt2-medium", "GPT-2 medium (350M): context 1024, width 1024, 16 heads, 24 blocks", true},
        {"gpt2-xl", "GPT-2 XL (1.5B): context 1024, width 1600, 25 heads, 48 blocks", true},
        {"decoder-7b", "a 7B-class decoder: context 2048, width 4096, 32 heads, 32 blocks", true},
    };
    return zoo;
}

bool isLargeModel(const std::string& name)
{
    for (const ZooEntry& entry : modelZoo())
        if (entry.name == name)
            return entry.large;
    return false;
}

namespace {
std::vector<ModelSource>& modelSources()
{
    static std::vector<ModelSource> sources;
    return sources;
}
} // namespace

void addModelSource(ModelSource source)
{
    modelSources().push_back(std::move(source));
}

Model buildModel(const std::string& name)
{
    if (name == "mlp")
        return buildMlp();
    if (name == "lenet5")
        return buildLenet5();
    if (name == "cnn")
        return buildCnn();
    if (name == "vgg-mini")
        return buildVggMini();
    if (name == "resnet-mini")
        return buildResnetMini();
    if (name == "resnet-flat")
        return buildResnetFlat();
    if (name == "gpt-mini")
        return buildGpt(name, kGptMini);
    for (const auto& [large, shape] : largeGptShapes())
        if (name == large)
            return buildGpt(name, shape);
    for (const ModelSource& source : modelSources())
        if (std::optional<Model> model = source(name))
            return std::move(*model);
    std::string known;
    for (const ZooEntry& entry : modelZoo())
        known += (known.empty() ? "" : ", ") + entry.name;
    throw InvalidArgument("unknown model '" + name + "' (known: " + known + ")");
}

} // namespace lpm
