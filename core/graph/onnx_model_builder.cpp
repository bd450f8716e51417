#include "graph/onnx_model_builder.h"

#include <algorithm>
#include <map>

#include "graph/graph_unit_layer.h"
#include "graph/model_source.h"
#include "nn/avg_pool2d.h"
#include "nn/batch_norm2d.h"
#include "nn/conv2d.h"
#include "nn/flatten.h"
#include "nn/linear.h"
#include "nn/max_pool2d.h"
#include "nn/model_zoo.h"
#include "nn/relu.h"
#include "tensor/error.h"

namespace lpm {

namespace {

// Builds the zoo layer of a one-op unit where one does exactly what the
// node does (the backends' layers, CUDA's included); null otherwise, for the
// graph ops (graph_unit_layer.h) to run the node instead.
class LayerMaker {
public:
    LayerMaker(const Graph& graph, const GraphNode& node) : graph_(graph), node_(node) {}

    std::unique_ptr<Layer> make()
    {
        try {
            return makeOrRefuse();
        } catch (const NotALayer&) {
            return nullptr;
        }
    }

private:
    struct NotALayer {};

    std::unique_ptr<Layer> makeOrRefuse()
    {
        const std::string& op = node_.op;
        if (!node_.domain.empty())
            refuse("an op of domain " + node_.domain);
        if (op == "Conv")
            return convolution();
        if (op == "Gemm")
            return linear();
        if (op == "BatchNormalization")
            return batchNorm();
        if (op == "Relu")
            return std::make_unique<Relu>();
        if (op == "Flatten") {
            if (intAttribute("axis", 1) != 1)
                refuse("Flatten from an axis other than 1");
            return std::make_unique<Flatten>();
        }
        if (op == "MaxPool" || op == "AveragePool") {
            const int64_t kernel = square("kernel_shape", 0);
            const int64_t stride = square("strides", 1);
            if (padding() != 0 || intAttribute("ceil_mode", 0) != 0)
                refuse("a pool with padding or ceil_mode");
            if (op == "MaxPool")
                return std::make_unique<MaxPool2d>(MaxPool2dOptions{kernel, stride});
            return std::make_unique<AvgPool2d>(AvgPool2dOptions{kernel, stride, false});
        }
        if (op == "GlobalAveragePool")
            return std::make_unique<AvgPool2d>(AvgPool2dOptions{0, 0, true});
        refuse(op + " has no layer of its own");
    }

    // The node does something the zoo layer does not (`why`, for the reader).
    [[noreturn]] void refuse(const std::string& /*why*/) const { throw NotALayer{}; }

    int64_t intAttribute(const std::string& name, int64_t fallback) const
    {
        const auto found = node_.intAttributes.find(name);
        return found == node_.intAttributes.end() || found->second.empty() ? fallback : found->second.front();
    }

    float floatAttribute(const std::string& name, float fallback) const
    {
        const auto found = node_.floatAttributes.find(name);
        return found == node_.floatAttributes.end() ? fallback : found->second;
    }

    // A two-dimensional attribute with equal extents (a square kernel or
    // stride), `fallback` when absent.
    int64_t square(const std::string& name, int64_t fallback) const
    {
        const auto found = node_.intAttributes.find(name);
        if (found == node_.intAttributes.end())
            return fallback;
        const std::vector<int64_t>& values = found->second;
        if (values.size() != 2 || values[0] != values[1] || values[0] < 1)
            refuse(name + " other than two equal positive numbers");
        return values[0];
    }

    // Equal padding on every side (ONNX: begins then ends), 0 when absent.
    int64_t padding() const
    {
        const auto found = node_.intAttributes.find("pads");
        if (found == node_.intAttributes.end())
            return 0;
        const std::vector<int64_t>& pads = found->second;
        if (pads.empty() || std::any_of(pads.begin(), pads.end(), [&](int64_t pad) { return pad != pads[0]; }))
            refuse("unequal padding");
        if (const auto autoPad = node_.intAttributes.find("auto_pad"); autoPad != node_.intAttributes.end())
            refuse("auto_pad");
        return pads[0];
    }

    const GraphTensor& weight(size_t input) const
    {
        const GraphTensor* tensor = input < node_.inputs.size() ? graph_.find(node_.inputs[input]) : nullptr;
        if (!tensor || !tensor->isWeight || !tensor->isFloat || !tensor->rankKnown || staticElements(*tensor) < 0)
            refuse("input " + std::to_string(input) + " is not a weight of known shape");
        return *tensor;
    }

    bool hasInput(size_t input) const { return input < node_.inputs.size() && !node_.inputs[input].empty(); }

    // The file's values of input `input`, or null where the file has none (the seed's initialisation then).
    std::shared_ptr<const std::vector<float>> valuesOf(size_t input) const
    {
        if (input >= node_.inputs.size())
            return nullptr;
        const auto found = graph_.weightValues.find(node_.inputs[input]);
        return found == graph_.weightValues.end() ? nullptr : found->second;
    }

    void give(Layer& layer, const std::string& name, size_t input) const
    {
        layer.setImported(name, node_.inputs[input], valuesOf(input));
    }

    std::unique_ptr<Layer> convolution() const
    {
        const GraphTensor& kernel = weight(1);
        if (kernel.dims.size() != 4 || kernel.dims[2] != kernel.dims[3])
            refuse("a kernel that is not square and two-dimensional");
        if (intAttribute("group", 1) != 1)
            refuse("a grouped (or depthwise) convolution");
        const auto dilations = node_.intAttributes.find("dilations");
        if (dilations != node_.intAttributes.end()
            && std::any_of(dilations->second.begin(), dilations->second.end(), [](int64_t d) { return d != 1; }))
            refuse("a dilated convolution");
        const bool bias = hasInput(2);
        auto layer = std::make_unique<Conv2d>(
            Conv2dOptions{kernel.dims[1], kernel.dims[0], kernel.dims[2], square("strides", 1), padding(), bias});
        give(*layer, "weight", 1);
        if (bias)
            give(*layer, "bias", 2);
        return layer;
    }

    // Gemm as PyTorch's Linear exports it: input (N, in) times B transposed
    // (B is (out, in), Linear's own layout), plus C; B untransposed is
    // transposed into that layout.
    std::unique_ptr<Layer> linear() const
    {
        if (intAttribute("transA", 0) != 0 || floatAttribute("alpha", 1.0f) != 1.0f
            || floatAttribute("beta", 1.0f) != 1.0f)
            refuse("Gemm with transA, or alpha or beta other than 1");
        const GraphTensor& matrix = weight(1);
        if (matrix.dims.size() != 2)
            refuse("a Gemm whose B is not a matrix");
        const bool transposed = intAttribute("transB", 0) != 0;
        const int64_t out = transposed ? matrix.dims[0] : matrix.dims[1];
        const int64_t in = transposed ? matrix.dims[1] : matrix.dims[0];
        const bool bias = hasInput(2);
        if (bias && staticElements(weight(2)) != out)
            refuse("a Gemm whose C is not one bias per output");
        auto layer = std::make_unique<Linear>(LinearOptions{in, out, bias});
        // The slot holds (out, in): B itself with transB, else Bᵀ, which is
        // not the file's tensor (so no source name for it).
        std::shared_ptr<const std::vector<float>> values = valuesOf(1);
        if (values && !transposed) { // (in, out) to (out, in)
            auto swapped = std::make_shared<std::vector<float>>(values->size());
            for (int64_t i = 0; i < in; ++i)
                for (int64_t o = 0; o < out; ++o)
                    (*swapped)[size_t(o * in + i)] = (*values)[size_t(i * out + o)];
            values = std::move(swapped);
        }
        layer->setImported("weight", transposed ? node_.inputs[1] : std::string(), std::move(values));
        if (bias)
            give(*layer, "bias", 2);
        return layer;
    }

    std::unique_ptr<Layer> batchNorm() const
    {
        if (node_.inputs.size() != 5)
            refuse("a BatchNormalization without its five inputs");
        for (size_t input = 2; input < 5; ++input)
            weight(input); // a weight of known shape, each
        const GraphTensor& scale = weight(1);
        if (intAttribute("training_mode", 0) != 0)
            refuse("BatchNormalization exported in training mode (export in evaluation mode)");
        // ONNX's momentum weighs the old running statistic (0.9); ours, as
        // PyTorch's, weighs the new one (0.1).
        auto layer = std::make_unique<BatchNorm2d>(BatchNorm2dOptions{
            staticElements(scale), floatAttribute("epsilon", 1e-5f), 1.0f - floatAttribute("momentum", 0.9f)});
        give(*layer, "gamma", 1);
        give(*layer, "beta", 2);
        give(*layer, "running_mean", 3);
        give(*layer, "running_var", 4);
        return layer;
    }

    const Graph& graph_;
    const GraphNode& node_;
};

// One sample's shape of the data input: its dimensions after the batch. A
// float input is a sample of 1 to 3 extents (an image); an integer one of
// (batch, T) holds token ids, a language model's.
Shape sampleShapeOf(const Graph& graph)
{
    if (graph.dataInputs.size() != 1)
        throw InvalidArgument(graph.source + ": training takes a model of one input, this one has "
                              + std::to_string(graph.dataInputs.size()));
    const GraphTensor& input = *graph.find(graph.dataInputs.front());
    std::vector<int64_t> dims;
    if (input.rankKnown && !input.dims.empty() && input.dims.front() == GraphTensor::kBatchDimension)
        dims.assign(input.dims.begin() + 1, input.dims.end());
    const size_t most = input.isFloat ? 3 : 1;
    if (dims.empty() || dims.size() > most || std::any_of(dims.begin(), dims.end(), [](int64_t d) { return d < 1; }))
        throw InvalidArgument(
            graph.source + ": training needs the input '" + input.name + "' as "
            + (input.isFloat ? "(batch, then 1 to 3 known dimensions)" : "token ids (batch, a known number of tokens)")
            + ", not " + formatGraphShape(input));
    if (dims.size() == 1)
        return Shape{dims[0]};
    if (dims.size() == 2)
        return Shape{dims[0], dims[1]};
    return Shape{dims[0], dims[1], dims[2]};
}

// The classes of the graph's output: a classifier's logits (batch,
// classes), or for token ids a language model's (batch, tokens, vocabulary).
int64_t classesOf(const Graph& graph, bool tokens, int64_t tokenCount)
{
    const GraphTensor* output = graph.outputs.size() == 1 ? graph.find(graph.outputs.front()) : nullptr;
    const size_t rank = tokens ? 3 : 2;
    const bool fits = output && output->rankKnown && output->dims.size() == rank
                      && output->dims[0] == GraphTensor::kBatchDimension && output->dims.back() >= 2
                      && (!tokens || output->dims[1] == tokenCount);
    if (!fits)
        throw InvalidArgument(
            graph.source + ": training takes the graph's output as "
            + (tokens ? "a language model's logits (batch, " + std::to_string(tokenCount) + ", vocabulary)"
                      : std::string("a classifier's logits (batch, classes)"))
            + ", not " + (output ? formatGraphShape(*output) : std::string("(unknown)")));
    return output->dims.back();
}

// Tensors beyond this many floats (256 GiB) fit no device: a file that
// states such a weight or activation is refused before anything is allocated.
constexpr int64_t kMostElements = int64_t(1) << 36;

// Refuses a weight that the ops of two units read (tied weights: a
// pipeline keeps each unit's parameters on its own stage), and a weight or
// a unit's output of no static size or beyond any device.
void requireTrainableTensors(const ImportedModel& imported)
{
    const Graph& graph = imported.graph;
    std::map<std::string, size_t> reader;
    for (size_t unit = 0; unit < imported.units.size(); ++unit) {
        const GraphTensor* output = graph.find(imported.units[unit].output);
        const int64_t sample = output ? elementsPerSample(*output) : -1;
        if (sample < 1 || sample > kMostElements)
            throw InvalidArgument(graph.source + ": unit " + std::to_string(unit) + "'s output '"
                                  + imported.units[unit].output + "' " + (output ? formatGraphShape(*output) : "")
                                  + " has no known size per sample within any device's memory");
        for (int node : imported.units[unit].operationNodes)
            for (const std::string& input : graph.nodes[size_t(node)].inputs) {
                const GraphTensor* tensor = input.empty() ? nullptr : graph.find(input);
                if (!tensor || !tensor->isWeight || !tensor->isFloat || tensor->dims.empty())
                    continue;
                const int64_t elements = staticElements(*tensor);
                if (elements < 1 || elements > kMostElements)
                    throw InvalidArgument(graph.source + ": weight '" + input + "' " + formatGraphShape(*tensor)
                                          + " has no static size within any device's memory");
                const auto [first, added] = reader.emplace(input, unit);
                if (!added && first->second != unit)
                    throw InvalidArgument(graph.source + ": weight '" + input + "' is read by units "
                                          + std::to_string(first->second) + " and " + std::to_string(unit)
                                          + "; training weights shared between units (tied weights) is not "
                                            "available yet");
            }
    }
}

} // namespace

Model modelFromImported(const ImportedModel& imported)
{
    const Graph& graph = imported.graph;
    const Shape sampleShape = sampleShapeOf(graph);
    const bool tokens = !graph.find(graph.dataInputs.front())->isFloat;
    const int64_t classes = classesOf(graph, tokens, sampleShape[0]);
    requireTrainableTensors(imported);
    std::vector<std::unique_ptr<Layer>> units;
    for (size_t unit = 0; unit < imported.units.size(); ++unit) {
        const GraphUnit& part = imported.units[unit];
        if (part.operations == 1)
            if (std::unique_ptr<Layer> layer =
                    LayerMaker(graph, graph.nodes[size_t(part.operationNodes.front())]).make()) {
                units.push_back(std::move(layer));
                continue;
            }
        const std::string& input = unit == 0 ? graph.dataInputs.front() : imported.units[unit - 1].output;
        try {
            units.push_back(std::make_unique<GraphUnitLayer>(graph, part, input));
        } catch (const InvalidArgument& error) {
            throw InvalidArgument("unit " + std::to_string(unit) + " (" + part.description
                                  + ") cannot be trained yet: " + error.what());
        }
    }
    return Model(graph.source, sampleShape, classes, std::move(units));
}

void addOnnxModelSource()
{
    addModelSource([](const std::string& name) -> std::optional<Model> {
        if (!isOnnxModelName(name))
            return std::nullopt;
        return modelFromImported(importOnnxModel(name));
    });
}

} // namespace lpm
