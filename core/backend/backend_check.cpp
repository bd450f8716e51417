// checkBackendAgainstCpu: each case declares its arrays (host contents to
// start from; which are outputs) and one function that calls the backend.
// The runner mirrors the arrays into each backend's memory, runs the
// function on the CPU reference and on the candidate, copies the outputs
// back and compares them.
#include "backend/backend_check.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <variant>

#include "backend/cpu/cpu_backend.h"
#include "tensor/memory_block.h"
#include "tensor/random.h"

namespace lpm {

namespace {

using Values = std::variant<std::vector<float>, std::vector<int32_t>>;

struct CaseArray {
    std::string name;
    Values initial;
    bool output = false; // compared after the run
};

// Pointers to a case's arrays in one backend's memory, in declaration order.
struct ArrayPointers {
    std::vector<void*> pointers;
    float* f(size_t i) const { return static_cast<float*>(pointers[i]); }
    int32_t* i32(size_t i) const { return static_cast<int32_t*>(pointers[i]); }
};

// Scalars an operation returns (the loss, the correct count), compared too.
using Scalars = std::vector<std::pair<std::string, double>>;
using Operation = std::function<Scalars(Backend&, const ArrayPointers&)>;

struct CheckCase {
    std::string layer, pass;
    std::vector<CaseArray> arrays;
    Operation run;
};

int64_t elementCount(const Values& values)
{
    return std::visit([](const auto& v) { return int64_t(v.size()); }, values);
}

int64_t byteCount(const Values& values)
{
    return std::visit([](const auto& v) { return int64_t(v.size() * sizeof(v[0])); }, values);
}

const void* hostData(const Values& values)
{
    return std::visit([](const auto& v) -> const void* { return v.data(); }, values);
}

void* hostData(Values& values)
{
    return std::visit([](auto& v) -> void* { return v.data(); }, values);
}

// Runs one case on one backend; returns the output arrays and the scalars.
std::pair<std::vector<Values>, Scalars> runOn(Backend& backend, const CheckCase& check)
{
    std::vector<MemoryBlock> blocks;
    ArrayPointers device;
    for (const CaseArray& array : check.arrays) {
        blocks.emplace_back(memorySpaceOf(backend), std::max<int64_t>(byteCount(array.initial), 4));
        blocks.back().copyFromHost(hostData(array.initial), byteCount(array.initial));
        device.pointers.push_back(blocks.back().data());
    }
    Scalars scalars = check.run(backend, device);
    backend.synchronize();
    std::vector<Values> outputs;
    for (size_t i = 0; i < check.arrays.size(); ++i)
        if (check.arrays[i].output) {
            Values result = check.arrays[i].initial; // same type and size
            blocks[i].copyToHost(hostData(result), byteCount(result));
            outputs.push_back(std::move(result));
        }
    return {std::move(outputs), std::move(scalars)};
}

double relativeError(const Values& candidate, const Values& reference)
{
    if (const auto* ints = std::get_if<std::vector<int32_t>>(&reference)) {
        const auto& other = std::get<std::vector<int32_t>>(candidate);
        int64_t differing = 0;
        for (size_t i = 0; i < ints->size(); ++i)
            differing += (*ints)[i] != other[i];
        return ints->empty() ? 0.0 : double(differing) / double(ints->size());
    }
    const auto& r = std::get<std::vector<float>>(reference);
    const auto& c = std::get<std::vector<float>>(candidate);
    double difference = 0.0, norm = 0.0;
    for (size_t i = 0; i < r.size(); ++i) {
        const double d = double(c[i]) - double(r[i]);
        difference += d * d;
        norm += double(r[i]) * double(r[i]);
    }
    if (!std::isfinite(difference))
        return INFINITY;
    return norm > 0.0 ? std::sqrt(difference / norm) : std::sqrt(difference);
}

// ---- the cases -------------------------------------------------------------

class CaseBuilder {
public:
    explicit CaseBuilder(uint64_t seed) : random_(seed) {}

    std::vector<float> normal(int64_t count, float scale = 1.0f)
    {
        std::vector<float> values(static_cast<size_t>(count));
        for (float& v : values)
            v = scale * random_.nextNormal();
        return values;
    }
    std::vector<float> uniform(int64_t count, float low, float high)
    {
        std::vector<float> values(static_cast<size_t>(count));
        for (float& v : values)
            v = low + (high - low) * random_.nextUniform();
        return values;
    }
    std::vector<int32_t> labels(int64_t count, int classes)
    {
        std::vector<int32_t> values(static_cast<size_t>(count));
        for (int32_t& v : values)
            v = int32_t(random_.nextBelow(uint64_t(classes)));
        return values;
    }
    uint64_t bits() { return random_.nextBits(); }

private:
    RandomStream random_;
};

std::string convName(const Conv2dGeometry& g, bool bias)
{
    return "Conv2d " + std::to_string(g.inChannels) + "->" + std::to_string(g.outChannels) + " k"
           + std::to_string(g.kernelHeight) + " s" + std::to_string(g.stride) + " p" + std::to_string(g.padding)
           + (bias ? "" : " no bias") + " on " + std::to_string(g.inHeight) + "x" + std::to_string(g.inWidth);
}

void addLinearCases(std::vector<CheckCase>& cases, CaseBuilder& make)
{
    const int64_t rows = 32, in = 300, out = 100;
    const std::string name = "Linear 300->100";
    cases.push_back({name,
                     "forward",
                     {{"x", make.normal(rows * in)},
                      {"weight", make.normal(out * in, 0.05f)},
                      {"bias", make.normal(out)},
                      {"y", make.normal(rows * out), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.gemm(false, true, rows, out, in, 1.0f, p.f(0), in, p.f(1), in, 0.0f, p.f(3), out);
                         b.addRowBias(rows, out, p.f(2), p.f(3));
                         return Scalars{};
                     }});
    cases.push_back({name,
                     "backward",
                     {{"x", make.normal(rows * in)},
                      {"weight", make.normal(out * in, 0.05f)},
                      {"gradOutput", make.normal(rows * out)},
                      {"gradInput", make.normal(rows * in), true},
                      {"gradWeight", make.normal(out * in), true},
                      {"gradBias", make.normal(out), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.gemm(true, false, out, in, rows, 1.0f, p.f(2), out, p.f(0), in, 1.0f, p.f(4), in);
                         b.accumulateColumnSums(rows, out, p.f(2), p.f(5));
                         b.gemm(false, false, rows, in, out, 1.0f, p.f(2), out, p.f(1), in, 0.0f, p.f(3), in);
                         return Scalars{};
                     }});
}

void addConvolutionCases(std::vector<CheckCase>& cases, CaseBuilder& make, const Conv2dGeometry& g, bool bias)
{
    const int64_t inputs = g.batch * g.inChannels * g.inHeight * g.inWidth;
    const int64_t outputs = g.batch * g.outChannels * g.outHeight() * g.outWidth();
    const int64_t weights = g.outChannels * g.inChannels * g.kernelHeight * g.kernelWidth;
    const std::string name = convName(g, bias);
    cases.push_back({name,
                     "forward",
                     {{"input", make.normal(inputs)},
                      {"weight", make.normal(weights, 0.1f)},
                      {"bias", make.normal(g.outChannels)},
                      {"output", make.normal(outputs), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.conv2dForward(g, p.f(0), p.f(1), bias ? p.f(2) : nullptr, p.f(3));
                         return Scalars{};
                     }});
    cases.push_back({name,
                     "backward",
                     {{"input", make.normal(inputs)},
                      {"weight", make.normal(weights, 0.1f)},
                      {"gradOutput", make.normal(outputs)},
                      {"gradInput", make.normal(inputs), true},
                      {"gradWeight", make.normal(weights), true},
                      {"gradBias", make.normal(g.outChannels), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.conv2dBackward(g, p.f(0), p.f(1), p.f(2), p.f(3), p.f(4), bias ? p.f(5) : nullptr);
                         return Scalars{};
                     }});
    cases.push_back({name,
                     "backward data",
                     {{"weight", make.normal(weights, 0.1f)},
                      {"gradOutput", make.normal(outputs)},
                      {"gradInput", make.normal(inputs), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.conv2dBackwardData(g, p.f(0), p.f(1), p.f(2), bias);
                         return Scalars{};
                     }});
}

void addPoolingCases(std::vector<CheckCase>& cases, CaseBuilder& make, const Pool2dGeometry& g)
{
    const int64_t inputs = g.batch * g.channels * g.inHeight * g.inWidth;
    const int64_t outputs = g.batch * g.channels * g.outHeight() * g.outWidth();
    const std::string window = " k" + std::to_string(g.kernel) + " s" + std::to_string(g.stride) + " on "
                               + std::to_string(g.inHeight) + "x" + std::to_string(g.inWidth);
    cases.push_back({"MaxPool2d" + window,
                     "forward",
                     {{"input", make.normal(inputs)},
                      {"output", make.normal(outputs), true},
                      {"argmax", std::vector<int32_t>(size_t(outputs), -1), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.maxPool2dForward(g, p.f(0), p.f(1), p.i32(2));
                         return Scalars{};
                     }});
    // Backward from the candidate's own forward, so argmax is its own.
    cases.push_back({"MaxPool2d" + window,
                     "backward",
                     {{"input", make.normal(inputs)},
                      {"output", make.normal(outputs)},
                      {"argmax", std::vector<int32_t>(size_t(outputs), -1)},
                      {"gradOutput", make.normal(outputs)},
                      {"gradInput", make.normal(inputs), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.maxPool2dForward(g, p.f(0), p.f(1), p.i32(2));
                         b.maxPool2dBackward(g, p.f(3), p.i32(2), p.f(4));
                         return Scalars{};
                     }});
    cases.push_back({"AvgPool2d" + window,
                     "forward",
                     {{"input", make.normal(inputs)}, {"output", make.normal(outputs), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.avgPool2dForward(g, p.f(0), p.f(1));
                         return Scalars{};
                     }});
    cases.push_back({"AvgPool2d" + window,
                     "backward",
                     {{"gradOutput", make.normal(outputs)}, {"gradInput", make.normal(inputs), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.avgPool2dBackward(g, p.f(0), p.f(1));
                         return Scalars{};
                     }});
}

void addElementwiseCases(std::vector<CheckCase>& cases, CaseBuilder& make)
{
    const int64_t count = 8 * 16 * 14 * 14;
    cases.push_back({"ReLU",
                     "forward",
                     {{"x", make.normal(count)}, {"y", make.normal(count), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.reluForward(count, p.f(0), p.f(1));
                         return Scalars{};
                     }});
    cases.push_back(
        {"ReLU",
         "backward",
         {{"y", make.normal(count)}, {"gradOutput", make.normal(count)}, {"gradInput", make.normal(count), true}},
         [=](Backend& b, const ArrayPointers& p) {
             b.reluBackward(count, p.f(0), p.f(1), p.f(2));
             return Scalars{};
         }});
    cases.push_back({"ResidualBlock (skip sum)",
                     "forward",
                     {{"x", make.normal(count)}, {"y", make.normal(count), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.addInPlace(count, p.f(0), p.f(1));
                         return Scalars{};
                     }});
    const uint64_t key = make.bits();
    cases.push_back({"Dropout p=0.3",
                     "forward",
                     {{"x", make.normal(count)}, {"y", make.normal(count), true}, {"mask", make.normal(count), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.dropoutForward(count, 0.3f, key, 1000, p.f(0), p.f(1), p.f(2));
                         return Scalars{};
                     }});
    cases.push_back({"Dropout p=0.3",
                     "backward",
                     {{"gradOutput", make.normal(count)},
                      {"mask", make.uniform(count, 0.0f, 1.5f)},
                      {"gradInput", make.normal(count), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.multiply(count, p.f(0), p.f(1), p.f(2));
                         return Scalars{};
                     }});
}

void addBatchNormCases(std::vector<CheckCase>& cases, CaseBuilder& make)
{
    BatchNormGeometry g;
    g.batch = 8;
    g.channels = 16;
    g.spatial = 14 * 14;
    const int64_t count = g.batch * g.channels * g.spatial, c = g.channels;
    const std::string name = "BatchNorm2d 16 on 14x14";
    cases.push_back({name,
                     "forward (training)",
                     {{"x", make.normal(count, 2.0f)},
                      {"gamma", make.uniform(c, 0.5f, 1.5f)},
                      {"beta", make.normal(c)},
                      {"y", make.normal(count), true},
                      {"savedMean", make.normal(c), true},
                      {"savedInvStd", make.normal(c), true},
                      {"runningMean", make.normal(c), true},
                      {"runningVar", make.uniform(c, 0.5f, 2.0f), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.batchNormForwardTraining(g, p.f(0), p.f(1), p.f(2), p.f(3), p.f(4), p.f(5), p.f(6), p.f(7));
                         return Scalars{};
                     }});
    cases.push_back({name,
                     "forward (inference)",
                     {{"x", make.normal(count, 2.0f)},
                      {"gamma", make.uniform(c, 0.5f, 1.5f)},
                      {"beta", make.normal(c)},
                      {"runningMean", make.normal(c)},
                      {"runningVar", make.uniform(c, 0.5f, 2.0f)},
                      {"y", make.normal(count), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.batchNormForwardInference(g, p.f(0), p.f(1), p.f(2), p.f(3), p.f(4), p.f(5));
                         return Scalars{};
                     }});
    // Backward from the candidate's own training forward (its saved statistics).
    cases.push_back({name,
                     "backward",
                     {{"x", make.normal(count, 2.0f)},
                      {"gamma", make.uniform(c, 0.5f, 1.5f)},
                      {"beta", make.normal(c)},
                      {"y", make.normal(count)},
                      {"savedMean", make.normal(c)},
                      {"savedInvStd", make.normal(c)},
                      {"runningMean", make.normal(c)},
                      {"runningVar", make.uniform(c, 0.5f, 2.0f)},
                      {"gradOutput", make.normal(count)},
                      {"gradInput", make.normal(count), true},
                      {"gradGamma", make.normal(c), true},
                      {"gradBeta", make.normal(c), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.batchNormForwardTraining(g, p.f(0), p.f(1), p.f(2), p.f(3), p.f(4), p.f(5), p.f(6), p.f(7));
                         b.batchNormBackward(g, p.f(0), p.f(1), p.f(4), p.f(5), p.f(8), p.f(9), p.f(10), p.f(11));
                         return Scalars{};
                     }});
}

void addLossAndOptimizerCases(std::vector<CheckCase>& cases, CaseBuilder& make)
{
    const int64_t rows = 64, classes = 10;
    cases.push_back({"SoftmaxCrossEntropy 10 classes",
                     "forward+backward",
                     {{"logits", make.normal(rows * classes, 3.0f)},
                      {"labels", make.labels(rows, int(classes))},
                      {"gradLogits", make.normal(rows * classes), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         int64_t correct = 0;
                         const double loss =
                             b.softmaxCrossEntropy(rows, classes, p.f(0), p.i32(1), 1.0f / rows, p.f(2), &correct);
                         return Scalars{{"loss", loss}, {"correct", double(correct)}};
                     }});
    const int64_t count = 10000;
    SgdHyper sgd;
    sgd.learningRate = 0.05f;
    sgd.momentum = 0.9f;
    sgd.weightDecay = 1e-4f;
    sgd.nesterov = true;
    cases.push_back(
        {"SGD (momentum 0.9, Nesterov, weight decay)",
         "update",
         {{"weights", make.normal(count), true}, {"grads", make.normal(count)}, {"velocity", make.normal(count), true}},
         [=](Backend& b, const ArrayPointers& p) {
             b.sgdUpdate(count, sgd, p.f(0), p.f(1), p.f(2));
             return Scalars{};
         }});
    AdamHyper adam;
    adam.learningRate = 1e-3f;
    adam.weightDecay = 1e-4f;
    adam.step = 3;
    cases.push_back({"Adam (step 3, weight decay)",
                     "update",
                     {{"weights", make.normal(count), true},
                      {"grads", make.normal(count)},
                      {"firstMoment", make.normal(count, 0.1f), true},
                      {"secondMoment", make.uniform(count, 0.01f, 1.0f), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.adamUpdate(count, adam, p.f(0), p.f(1), p.f(2), p.f(3));
                         return Scalars{};
                     }});
    AdamHyper adamw = adam;
    adamw.weightDecay = 0.1f;
    adamw.decoupledWeightDecay = true;
    cases.push_back({"AdamW (step 3, decoupled weight decay 0.1)",
                     "update",
                     {{"weights", make.normal(count), true},
                      {"grads", make.normal(count)},
                      {"firstMoment", make.normal(count, 0.1f), true},
                      {"secondMoment", make.uniform(count, 0.01f, 1.0f), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.adamUpdate(count, adamw, p.f(0), p.f(1), p.f(2), p.f(3));
                         return Scalars{};
                     }});
}

// gpt-mini's transformer operations at a small batch: 2 samples of 64
// tokens, width 128, 4 heads of 32.
void addTransformerCases(std::vector<CheckCase>& cases, CaseBuilder& make)
{
    const LayerNormGeometry norm{2 * 64, 128, 1e-5f};
    const int64_t count = norm.rows * norm.features, f = norm.features;
    const std::string normName = "LayerNorm 128";
    cases.push_back({normName,
                     "forward",
                     {{"x", make.normal(count, 2.0f)},
                      {"gamma", make.uniform(f, 0.5f, 1.5f)},
                      {"beta", make.normal(f)},
                      {"y", make.normal(count), true},
                      {"savedMean", make.normal(norm.rows), true},
                      {"savedInvStd", make.normal(norm.rows), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.layerNormForward(norm, p.f(0), p.f(1), p.f(2), p.f(3), p.f(4), p.f(5));
                         return Scalars{};
                     }});
    // Backward from the candidate's own forward; dx alone, then the
    // parameter gradients alone (a split backward's B and W).
    cases.push_back({normName,
                     "backward",
                     {{"x", make.normal(count, 2.0f)},
                      {"gamma", make.uniform(f, 0.5f, 1.5f)},
                      {"beta", make.normal(f)},
                      {"y", make.normal(count)},
                      {"savedMean", make.normal(norm.rows)},
                      {"savedInvStd", make.normal(norm.rows)},
                      {"gradOutput", make.normal(count)},
                      {"gradInput", make.normal(count), true},
                      {"gradGamma", make.normal(f), true},
                      {"gradBeta", make.normal(f), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.layerNormForward(norm, p.f(0), p.f(1), p.f(2), p.f(3), p.f(4), p.f(5));
                         b.layerNormBackward(norm, p.f(0), p.f(1), p.f(4), p.f(5), p.f(6), p.f(7), nullptr, nullptr);
                         b.layerNormBackward(norm, p.f(0), p.f(1), p.f(4), p.f(5), p.f(6), nullptr, p.f(8), p.f(9));
                         return Scalars{};
                     }});
    const int64_t wide = 2 * 64 * 512; // the MLP's hidden activations
    cases.push_back({"GELU (tanh)",
                     "forward",
                     {{"x", make.normal(wide, 3.0f)}, {"y", make.normal(wide), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.geluForward(wide, p.f(0), p.f(1));
                         return Scalars{};
                     }});
    cases.push_back(
        {"GELU (tanh)",
         "backward",
         {{"x", make.normal(wide, 3.0f)}, {"gradOutput", make.normal(wide)}, {"gradInput", make.normal(wide), true}},
         [=](Backend& b, const ArrayPointers& p) {
             b.geluBackward(wide, p.f(0), p.f(1), p.f(2));
             return Scalars{};
         }});
    const int64_t rows = 2 * 64, vocabulary = 256, width = 128;
    std::vector<float> ids;
    for (const int32_t id : make.labels(rows, int(vocabulary)))
        ids.push_back(float(id)); // (repeats: the scatter sums rows that share an id)
    const std::string embeddingName = "Embedding 256x128";
    cases.push_back({embeddingName,
                     "forward",
                     {{"ids", ids}, {"table", make.normal(vocabulary * width)}, {"y", make.normal(rows * width), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.embeddingForward(rows, width, vocabulary, p.f(0), p.f(1), p.f(2));
                         return Scalars{};
                     }});
    cases.push_back({embeddingName,
                     "backward",
                     {{"ids", ids},
                      {"gradOutput", make.normal(rows * width)},
                      {"gradTable", make.normal(vocabulary * width), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.embeddingBackward(rows, width, vocabulary, p.f(0), p.f(1), p.f(2));
                         return Scalars{};
                     }});
    const AttentionGeometry attention{2, 64, 4, 32};
    const int64_t qkvCount = attention.batch * attention.tokens * 3 * attention.width();
    const int64_t outCount = attention.batch * attention.tokens * attention.width();
    const int64_t lseCount = attention.batch * attention.heads * attention.tokens;
    const std::string attentionName = "CausalSelfAttention 4 heads of 32, 64 tokens";
    cases.push_back({attentionName,
                     "forward",
                     {{"qkv", make.normal(qkvCount)},
                      {"out", make.normal(outCount), true},
                      {"logSumExp", make.normal(lseCount), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.causalAttentionForward(attention, p.f(0), p.f(1), p.f(2));
                         return Scalars{};
                     }});
    cases.push_back({attentionName,
                     "backward",
                     {{"qkv", make.normal(qkvCount)},
                      {"out", make.normal(outCount)},
                      {"logSumExp", make.normal(lseCount)},
                      {"gradOutput", make.normal(outCount)},
                      {"gradQkv", make.normal(qkvCount), true}},
                     [=](Backend& b, const ArrayPointers& p) {
                         b.causalAttentionForward(attention, p.f(0), p.f(1), p.f(2));
                         b.causalAttentionBackward(attention, p.f(0), p.f(1), p.f(2), p.f(3), p.f(4));
                         return Scalars{};
                     }});
}

std::vector<CheckCase> allCases(uint64_t seed)
{
    CaseBuilder make(seed);
    std::vector<CheckCase> cases;
    addLinearCases(cases, make);
    Conv2dGeometry conv;
    conv.batch = 8;
    conv.inChannels = 16;
    conv.inHeight = conv.inWidth = 14;
    conv.outChannels = 32;
    conv.kernelHeight = conv.kernelWidth = 3;
    conv.padding = 1;
    addConvolutionCases(cases, make, conv, true);
    Conv2dGeometry strided = conv;
    strided.inChannels = 1;
    strided.inHeight = strided.inWidth = 28;
    strided.outChannels = 8;
    strided.kernelHeight = strided.kernelWidth = 5;
    strided.stride = 2;
    strided.padding = 2;
    addConvolutionCases(cases, make, strided, false);
    addPoolingCases(cases, make, Pool2dGeometry{8, 16, 28, 28, 2, 2});
    addPoolingCases(cases, make, Pool2dGeometry{8, 16, 13, 13, 3, 2}); // overlapping windows
    addElementwiseCases(cases, make);
    addBatchNormCases(cases, make);
    addTransformerCases(cases, make);
    addLossAndOptimizerCases(cases, make);
    return cases;
}

} // namespace

BackendCheckReport checkBackendAgainstCpu(Backend& candidate, uint64_t seed, double tolerance)
{
    BackendCheckReport report;
    report.backend = candidate.name();
    report.seed = seed;
    report.tolerance = tolerance;
    CpuBackend reference(1);
    for (const CheckCase& check : allCases(seed)) {
        const auto [expected, expectedScalars] = runOn(reference, check);
        const auto [got, gotScalars] = runOn(candidate, check);
        auto addRow = [&](const std::string& output, int64_t elements, double error) {
            const bool passed = error <= tolerance; // false for NaN too
            report.rows.push_back({check.layer, check.pass, output, elements, error, passed});
            report.worstError = std::isnan(error) ? error : std::max(report.worstError, error);
            report.passed = report.passed && passed;
        };
        size_t outputIndex = 0;
        for (const CaseArray& array : check.arrays)
            if (array.output) {
                addRow(array.name, elementCount(array.initial), relativeError(got[outputIndex], expected[outputIndex]));
                ++outputIndex;
            }
        for (size_t i = 0; i < expectedScalars.size(); ++i) {
            const double r = expectedScalars[i].second, c = gotScalars[i].second;
            addRow(expectedScalars[i].first, 1, r != 0.0 ? std::abs(c - r) / std::abs(r) : std::abs(c));
        }
    }
    return report;
}

} // namespace lpm
