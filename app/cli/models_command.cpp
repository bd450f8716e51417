#include "cli/models_command.h"

#include <cstdio>
#include <memory>

#include "cli/output_files.h"
#include "nn/model_zoo.h"

namespace lpm::cli {

namespace {

struct ModelsOptions {
    std::string name;
    std::string jsonFile;
};

nlohmann::json describeModel(const Model& model)
{
    nlohmann::json units = nlohmann::json::array();
    const std::vector<UnitCost> costs = model.unitCosts();
    const std::vector<Shape> shapes = model.unitOutputShapes(1);
    for (int index = 0; index < model.unitCount(); ++index) {
        const UnitCost& cost = costs[size_t(index)];
        units.push_back({{"index", index},
                         {"kind", model.unit(index).kind()},
                         {"description", model.unit(index).describe()},
                         {"output_shape", shapes[size_t(index)].toString()},
                         {"forward_flops", cost.forwardFlops},
                         {"backward_flops", cost.backwardFlops},
                         {"parameter_bytes", cost.parameterBytes},
                         {"output_bytes", cost.outputBytes},
                         {"saved_bytes", cost.savedBytes},
                         {"launches", cost.launches}});
    }
    return {{"name", model.name()}, {"units", units}};
}

void printModel(const Model& model, const std::string& summary)
{
    const std::vector<UnitCost> costs = model.unitCosts();
    const std::vector<Shape> shapes = model.unitOutputShapes(1);
    double flops = 0.0;
    int64_t parameters = 0;
    for (const UnitCost& cost : costs) {
        flops += cost.forwardFlops;
        parameters += cost.parameterBytes;
    }
    std::printf("%s — %s\n  %d units, %.3f MFLOP forward per sample, %.1f KiB parameters\n",
                model.name().c_str(), summary.c_str(), model.unitCount(), flops / 1e6,
                double(parameters) / 1024.0);
    std::printf("  %4s  %-14s %-28s %-16s %10s %10s %10s %10s\n", "unit", "kind", "details",
                "output", "fwd MFLOP", "params KiB", "out KiB", "saved KiB");
    for (int index = 0; index < model.unitCount(); ++index) {
        const UnitCost& cost = costs[size_t(index)];
        std::printf("  %4d  %-14s %-28s %-16s %10.3f %10.1f %10.1f %10.1f\n", index,
                    model.unit(index).kind().c_str(), model.unit(index).describe().c_str(),
                    shapes[size_t(index)].toString().c_str(), cost.forwardFlops / 1e6,
                    double(cost.parameterBytes) / 1024.0, double(cost.outputBytes) / 1024.0,
                    double(cost.savedBytes) / 1024.0);
    }
}

void runModels(const ModelsOptions& options)
{
    if (!options.jsonFile.empty())
        requireWritableOutput(options.jsonFile, "--json");
    nlohmann::json document = {{"models", nlohmann::json::array()}};
    bool first = true;
    for (const ZooEntry& entry : modelZoo()) {
        if (!options.name.empty() && entry.name != options.name)
            continue;
        const Model model = buildModel(entry.name);
        if (!first)
            std::printf("\n");
        first = false;
        printModel(model, entry.summary);
        document["models"].push_back(describeModel(model));
    }
    if (first)
        buildModel(options.name); // throws the "unknown model" error with the known names
    if (!options.jsonFile.empty())
        writeJsonFile(options.jsonFile, document);
}

} // namespace

void addModelsCommand(CLI::App& app)
{
    auto options = std::make_shared<ModelsOptions>();
    CLI::App* command = app.add_subcommand(
        "models", "List the model zoo with per-unit FLOPs, parameter, output and saved bytes "
                  "(per sample)");
    command->add_option("name", options->name, "Show only this model");
    command->add_option("--json", options->jsonFile, "Also write the figures as JSON to this file");
    command->callback([options] { runModels(*options); });
}

} // namespace lpm::cli
