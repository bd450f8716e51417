#include "graph/model_source.h"

#include <algorithm>

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
    return unitsFromGraph(readOnnxGraph(path));
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
    for (const GraphUnit& unit : model.units)
        outline.units.push_back({unit.kind, unit.description, sampleShapeOf(graph.find(unit.output)), unit.cost});
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

void requireZooModel(const std::string& model, const std::string& what, const std::string& instead)
{
    if (isOnnxModelName(model))
        throw InvalidArgument(model + ": " + what + " is not available for imported ONNX models yet (import, plan and "
                              + "simulate are)" + (instead.empty() ? "" : "; " + instead));
}

} // namespace lpm
