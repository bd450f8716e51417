#include "graph/model_source.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <mutex>
#include <tuple>

#include "graph/onnx_model_builder.h"
#include "graph/onnx_reader.h"
#include "plan/cost_sources.h"
#include "tensor/error.h"

namespace lpm {

namespace {

// One sample's shape: "(1, 28, 28)" of "(batch, 1, 28, 28)".
std::string sampleShapeOf(const GraphTensor* tensor)
{
    if (!tensor || !tensor->rankKnown)
        return "(unknown)";
    GraphTensor sample = *tensor;
    const auto batch = std::find(sample.dims.begin(), sample.dims.end(), GraphTensor::kBatchDimension);
    if (batch != sample.dims.end())
        sample.dims.erase(batch);
    return formatGraphShape(sample);
}

} // namespace

bool isOnnxModelName(const std::string& model)
{
    return model.size() > 5 && model.compare(model.size() - 5, 5, ".onnx") == 0;
}

ImportedModel importOnnxModel(const std::string& path)
{
    // The last file imported, kept while it is unchanged: a command or the
    // studio asks for the outline and the costs of one model several times.
    static std::mutex mutex;
    static std::string cachedPath;
    static std::filesystem::file_time_type cachedTime;
    static std::uintmax_t cachedSize = 0;
    static std::shared_ptr<const ImportedModel> cached;
    std::error_code error;
    const std::filesystem::file_time_type time = std::filesystem::last_write_time(path, error);
    const std::uintmax_t size = error ? 0 : std::filesystem::file_size(path, error);
    if (!error) {
        const std::lock_guard lock(mutex);
        if (cached && cachedPath == path && cachedTime == time && cachedSize == size)
            return *cached;
    }
    auto imported = std::make_shared<const ImportedModel>(unitsFromGraph(readOnnxGraph(path)));
    if (!error) {
        const std::lock_guard lock(mutex);
        std::tie(cachedPath, cachedTime, cachedSize, cached) = std::tie(path, time, size, imported);
    }
    return *imported;
}

ModelOutline outlineImportedModel(const ImportedModel& model)
{
    const Graph& graph = model.graph;
    ModelOutline outline;
    outline.name = graph.source;
    outline.summary = "imported from ONNX (opset " + std::to_string(graph.opset)
                      + "): " + std::to_string(graph.nodes.size()) + " nodes in " + std::to_string(model.units.size())
                      + " units, " + (graph.weightsInFile ? "weights from the file" : "no weights in the file");
    const GraphTensor* input = graph.find(graph.dataInputs.front());
    outline.sampleShape = sampleShapeOf(input);
    // Token ids (batch, T) make a language model of context T.
    if (input && !input->isFloat && input->rankKnown && input->dims.size() == 2 && input->dims[1] > 0)
        outline.tokens = input->dims[1];
    for (const GraphUnit& unit : model.units) {
        UnitOutline part{unit.kind, unit.description, sampleShapeOf(graph.find(unit.output)), unit.cost};
        for (int node : unit.operationNodes)
            part.nodes.push_back(graph.nodes[size_t(node)].name);
        outline.units.push_back(std::move(part));
    }
    return outline;
}

ModelCosts importedModelCosts(const ImportedModel& model, int64_t microBatchSize)
{
    if (microBatchSize < 1)
        throw InvalidArgument("micro-batch size must be at least 1, got " + std::to_string(microBatchSize));
    ModelCosts costs;
    costs.model = model.graph.source;
    costs.microBatchSize = microBatchSize;
    costs.inputBytesPerSample = model.inputBytesPerSample;
    for (const GraphUnit& unit : model.units)
        costs.units.push_back(unit.cost);
    return costs;
}

ModelOutline outlineAnyModel(const std::string& model)
{
    return isOnnxModelName(model) ? outlineImportedModel(importOnnxModel(model)) : outlineModel(model);
}

ModelCosts describeAnyModelCosts(const std::string& model, int64_t microBatchSize)
{
    return isOnnxModelName(model) ? importedModelCosts(importOnnxModel(model), microBatchSize)
                                  : describeZooModelCosts(model, microBatchSize);
}

std::string whyNotTrainable(const std::string& model)
{
    if (!isOnnxModelName(model))
        return {};
    try {
        modelFromImported(importOnnxModel(model));
        return {};
    } catch (const Error& error) {
        return error.what();
    }
}

} // namespace lpm
