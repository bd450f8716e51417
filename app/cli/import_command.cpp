#include "cli/import_command.h"

#include <cstdio>
#include <memory>

#include "cli/models_command.h"
#include "cli/output_files.h"
#include "graph/model_source.h"
#include "tensor/error.h"

namespace lpm::cli {

namespace {

struct ImportOptions {
    std::string path;
    std::string jsonFile;
    bool nodes = false;
};

std::string tensorLine(const Graph& graph, const std::string& name)
{
    const GraphTensor* tensor = graph.find(name);
    return name + " " + (tensor ? formatGraphShape(*tensor) : "(unknown)");
}

void runImport(const ImportOptions& options)
{
    if (!options.jsonFile.empty())
        requireWritableOutput(options.jsonFile, "--json");
    if (!isOnnxModelName(options.path))
        throw InvalidArgument("import: expected an ONNX file (PATH.onnx), got '" + options.path + "'");
    const ImportedModel model = importOnnxModel(options.path);
    const Graph& graph = model.graph;
    const ModelOutline outline = outlineImportedModel(model);
    printModelOutline(outline);
    if (options.nodes)
        for (size_t index = 0; index < model.units.size(); ++index) {
            std::printf("  unit %zu:", index);
            for (int node : model.units[index].nodes)
                std::printf(" %s", graph.nodes[size_t(node)].name.c_str());
            std::printf("\n");
        }
    for (const std::string& input : graph.dataInputs)
        std::printf("input:  %s\n", tensorLine(graph, input).c_str());
    for (const std::string& output : graph.outputs)
        std::printf("output: %s\n", tensorLine(graph, output).c_str());
    std::printf("cuts: %zu places among %d operations (and %zu nodes of weights and shape arithmetic); the "
                "largest unit holds %d operation%s%s\n",
                model.units.size() - 1, model.operations, graph.nodes.size() - size_t(model.operations),
                model.largestUnitOperations, model.largestUnitOperations == 1 ? "" : "s",
                model.operations >= 8 && model.largestUnitOperations * 3 > model.operations
                    ? " (skip connections keep several tensors live across much of the graph: few places to cut)"
                    : "");
    int estimated = 0;
    for (const GraphUnit& unit : model.units)
        estimated += unit.estimated;
    if (estimated > 0)
        std::printf("estimated: %d units hold an op without a cost formula or a tensor of unknown shape\n", estimated);
    if (!model.untrainedOps.empty()) {
        std::printf("ops outside the set training is to cover (these plan only):\n");
        for (const auto& [op, names] : model.untrainedOps)
            std::printf("  %s: %zu node%s, first %s\n", op.c_str(), names.size(), names.size() == 1 ? "" : "s",
                        names.front().c_str());
    }
    const std::string whyNot = whyNotTrainable(options.path);
    if (whyNot.empty())
        std::printf("trains: lpm train --model %s (from the %s)\n", options.path.c_str(),
                    graph.weightsInFile ? "file's weights" : "seed: the file has no weights");
    else
        std::printf("training: not yet: %s\n", whyNot.c_str());
    std::printf("plan it: lpm plan --model %s --devices catalog:V100x4\n", options.path.c_str());
    if (options.jsonFile.empty())
        return;
    nlohmann::json document = modelOutlineJson(outline);
    document["opset"] = graph.opset;
    document["weights_in_file"] = graph.weightsInFile;
    document["trainable"] = whyNot.empty();
    document["not_trainable_because"] = whyNot;
    document["inputs"] = nlohmann::json::array();
    for (const std::string& input : graph.dataInputs)
        document["inputs"].push_back(tensorLine(graph, input));
    document["outputs"] = nlohmann::json::array();
    for (const std::string& output : graph.outputs)
        document["outputs"].push_back(tensorLine(graph, output));
    for (size_t index = 0; index < model.units.size(); ++index) {
        nlohmann::json nodes = nlohmann::json::array();
        for (int node : model.units[index].nodes)
            nodes.push_back({{"name", graph.nodes[size_t(node)].name}, {"op", graph.nodes[size_t(node)].op}});
        document["units"][index]["nodes"] = nodes;
        document["units"][index]["estimated"] = model.units[index].estimated;
    }
    nlohmann::json untrained = nlohmann::json::object();
    for (const auto& [op, names] : model.untrainedOps)
        untrained[op] = names;
    document["untrained_ops"] = untrained;
    writeJsonFile(options.jsonFile, document);
}

} // namespace

void addImportCommand(CLI::App& app)
{
    auto options = std::make_shared<ImportOptions>();
    CLI::App* command = app.add_subcommand(
        "import", "Import an ONNX model and show what was understood: its units (the graph merged where it "
                  "branches), their shapes and costs, and the ops that can be planned but not trained");
    command
        ->add_option("model", options->path,
                     "The ONNX file (export from PyTorch with a symbolic batch: "
                     "dynamic_axes={'input': {0: 'batch'}})")
        ->required();
    command->add_flag("--nodes", options->nodes, "Also list each unit's ONNX nodes");
    command->add_option("--json", options->jsonFile, "Also write the figures, with every unit's nodes, as JSON");
    command->callback([options] { runImport(*options); });
}

} // namespace lpm::cli
