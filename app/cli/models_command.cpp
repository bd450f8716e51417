#include "cli/models_command.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "cli/output_files.h"
#include "graph/model_source.h"
#include "nn/model_zoo.h"

namespace lpm::cli {

namespace {

struct ModelsOptions {
    std::string name;
    std::string jsonFile;
};

} // namespace

nlohmann::json modelOutlineJson(const ModelOutline& model)
{
    nlohmann::json units = nlohmann::json::array();
    for (size_t index = 0; index < model.units.size(); ++index) {
        const UnitOutline& unit = model.units[index];
        units.push_back({{"index", index},
                         {"kind", unit.kind},
                         {"description", unit.description},
                         {"output_shape", unit.outputShape},
                         {"forward_flops", unit.cost.forwardFlops},
                         {"backward_flops", unit.cost.backwardFlops},
                         {"parameter_bytes", unit.cost.parameterBytes},
                         {"output_bytes", unit.cost.outputBytes},
                         {"saved_bytes", unit.cost.savedBytes},
                         {"launches", unit.cost.launches}});
    }
    return {{"name", model.name}, {"units", units}};
}

void printModelOutline(const ModelOutline& model)
{
    std::printf("%s — %s\n  %zu units, %.3f MFLOP forward per sample, %.1f KiB parameters\n", model.name.c_str(),
                model.summary.c_str(), model.units.size(), model.forwardFlops() / 1e6,
                double(model.parameterBytes()) / 1024.0);
    // The text columns as wide as their longest entry (at least the widths of old).
    int kindWidth = 14, detailsWidth = 28, outputWidth = 16;
    for (const UnitOutline& unit : model.units) {
        kindWidth = std::max(kindWidth, int(unit.kind.size()));
        detailsWidth = std::max(detailsWidth, int(unit.description.size()));
        outputWidth = std::max(outputWidth, int(unit.outputShape.size()));
    }
    std::printf("  %4s  %-*s %-*s %-*s %10s %10s %10s %10s\n", "unit", kindWidth, "kind", detailsWidth, "details",
                outputWidth, "output", "fwd MFLOP", "params KiB", "out KiB", "saved KiB");
    for (size_t index = 0; index < model.units.size(); ++index) {
        const UnitOutline& unit = model.units[index];
        std::printf("  %4zu  %-*s %-*s %-*s %10.3f %10.1f %10.1f %10.1f\n", index, kindWidth, unit.kind.c_str(),
                    detailsWidth, unit.description.c_str(), outputWidth, unit.outputShape.c_str(),
                    unit.cost.forwardFlops / 1e6, double(unit.cost.parameterBytes) / 1024.0,
                    double(unit.cost.outputBytes) / 1024.0, double(unit.cost.savedBytes) / 1024.0);
    }
}

namespace {

void runModels(const ModelsOptions& options)
{
    if (!options.jsonFile.empty())
        requireWritableOutput(options.jsonFile, "--json");
    if (isOnnxModelName(options.name)) {
        const ModelOutline model = outlineAnyModel(options.name);
        printModelOutline(model);
        if (!options.jsonFile.empty())
            writeJsonFile(options.jsonFile, {{"models", nlohmann::json::array({modelOutlineJson(model)})}});
        return;
    }
    if (!options.name.empty())
        outlineModel(options.name); // throws the "unknown model" error with the known names
    nlohmann::json document = {{"models", nlohmann::json::array()}};
    bool first = true;
    for (const ZooEntry& entry : modelZoo()) {
        if (!options.name.empty() && entry.name != options.name)
            continue;
        if (!first)
            std::printf("\n");
        first = false;
        const ModelOutline model = outlineModel(entry.name);
        printModelOutline(model);
        document["models"].push_back(modelOutlineJson(model));
    }
    if (!options.jsonFile.empty())
        writeJsonFile(options.jsonFile, document);
}

} // namespace

void addModelsCommand(CLI::App& app)
{
    auto options = std::make_shared<ModelsOptions>();
    CLI::App* command =
        app.add_subcommand("models", "List the model zoo with per-unit FLOPs, parameter, output and saved bytes "
                                     "(per sample)");
    command->add_option("name", options->name, "Show only this model: a zoo name, or an ONNX file (PATH.onnx)");
    command->add_option("--json", options->jsonFile, "Also write the figures as JSON to this file");
    command->callback([options] { runModels(*options); });
}

} // namespace lpm::cli
