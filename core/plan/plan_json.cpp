#include "plan/plan_json.h"

#include <cstdint>

#include <nlohmann/json.hpp>

#include "io/json_reader.h"
#include "schedule/schedule.h"
#include "tensor/error.h"

namespace lpm {

namespace {

using nlohmann::json;

constexpr int kCostsVersion = 1;

json costsValue(const ModelCosts& costs)
{
    json units = json::array();
    for (const UnitCost& unit : costs.units)
        units.push_back({{"forward_flops", unit.forwardFlops},
                         {"backward_flops", unit.backwardFlops},
                         {"parameter_bytes", unit.parameterBytes},
                         {"output_bytes", unit.outputBytes},
                         {"saved_bytes", unit.savedBytes},
                         {"launches", unit.launches},
                         {"weight_gradient_flops", unit.weightGradientFlops},
                         {"weight_gradient_bytes", unit.weightGradientBytes}});
    json devices = json::array();
    for (const DeviceCosts& device : costs.devices) {
        json forward = json::array(), backward = json::array();
        for (const UnitTimes& times : device.units) {
            forward.push_back(times.forwardSeconds * 1e3);
            backward.push_back(times.backwardSeconds * 1e3);
        }
        devices.push_back({{"device", device.device},
                           {"source", device.source},
                           {"update_seconds_per_parameter", device.updateSecondsPerParameter},
                           {"input_seconds_per_sample", device.inputSecondsPerSample},
                           {"forward_ms", forward},
                           {"backward_ms", backward}});
        if (!device.calibratedOn.empty())
            devices.back()["calibrated_on"] = device.calibratedOn;
    }
    return {{"format", "lpm-costs"},
            {"version", kCostsVersion},
            {"model", costs.model},
            {"micro_batch", costs.microBatchSize},
            {"input_bytes", costs.inputBytesPerSample},
            {"units", units},
            {"devices", devices}};
}

ModelCosts readCosts(const JsonReader& root)
{
    root.requireFormat("lpm-costs", kCostsVersion);
    ModelCosts costs;
    costs.model = root.field("model").text();
    costs.microBatchSize = root.field("micro_batch").integer();
    costs.inputBytesPerSample = root.field("input_bytes").integer();
    for (const JsonReader& unit : root.field("units").elements()) {
        costs.units.push_back({unit.field("forward_flops").number(), unit.field("backward_flops").number(),
                               unit.field("parameter_bytes").integer(), unit.field("output_bytes").integer(),
                               unit.field("saved_bytes").integer(), unit.field("launches").integer32()});
        UnitCost& read = costs.units.back();
        // (Optional: files from before the split backward estimate half of a
        // unit with parameters, which is what linear layers and convolutions take.)
        read.weightGradientFlops = unit.value().contains("weight_gradient_flops")
                                       ? unit.field("weight_gradient_flops").number()
                                   : read.parameterBytes > 0 ? 0.5 * read.backwardFlops
                                                             : 0.0;
        read.weightGradientBytes = unit.value().contains("weight_gradient_bytes")
                                       ? unit.field("weight_gradient_bytes").integer()
                                   : read.weightGradientFlops > 0.0 ? read.savedBytes + read.outputBytes
                                                                    : 0;
    }
    for (const JsonReader& device : root.field("devices").elements()) {
        DeviceCosts entry;
        entry.device = device.field("device").text();
        entry.source = device.field("source").text();
        entry.updateSecondsPerParameter = device.field("update_seconds_per_parameter").number();
        if (device.value().is_object() && device.value().contains("input_seconds_per_sample")) // (optional: newer)
            entry.inputSecondsPerSample = device.field("input_seconds_per_sample").number();
        if (device.value().contains("calibrated_on")) { // (optional: calibrated costs only)
            const JsonReader calibratedOn = device.field("calibrated_on");
            entry.calibratedOn = calibratedOn.text();
            try {
                scheduleTraits(entry.calibratedOn);
            } catch (const InvalidArgument& error) {
                calibratedOn.fail(error.what());
            }
        }
        const std::vector<JsonReader> forward = device.field("forward_ms").elements();
        const std::vector<JsonReader> backward = device.field("backward_ms").elements();
        if (forward.size() != backward.size())
            device.fail("forward_ms has " + std::to_string(forward.size()) + " entries, backward_ms "
                        + std::to_string(backward.size()));
        for (size_t u = 0; u < forward.size(); ++u)
            entry.units.push_back({forward[u].number() / 1e3, backward[u].number() / 1e3});
        costs.devices.push_back(std::move(entry));
    }
    return costs;
}

// Runs a validation, turning its InvalidArgument into a FileError naming the file.
template <typename Check>
void validateAs(const std::string& source, Check check)
{
    try {
        check();
    } catch (const InvalidArgument& invalid) {
        throw FileError(source + ": " + invalid.what());
    }
}

} // namespace

std::string costsToJson(const ModelCosts& costs)
{
    return costsValue(costs).dump(1) + "\n";
}

json planValue(const Plan& plan)
{
    json devices = json::array();
    for (const PlanDeviceEntry& device : plan.devices)
        devices.push_back({{"label", device.label},
                           {"costs", device.costsDevice},
                           {"memory_bytes", device.memoryBytes},
                           {"shared_by", device.sharedBy},
                           {"replicas", device.replicas},
                           {"link_to_next",
                            {{"name", device.linkToNext.name},
                             {"bandwidth_bytes_per_second", device.linkToNext.bytesPerSecond},
                             {"latency_us", device.linkToNext.latencySeconds * 1e6}}}});
    json stages = json::array();
    for (const PlannedStage& stage : plan.stages)
        stages.push_back(
            {{"first", stage.first}, {"last", stage.last}, {"device", stage.device}, {"recompute", stage.recompute}});
    const json root = {{"format", "lpm-plan"},
                       {"version", Plan::kFormatVersion},
                       {"model", plan.model},
                       {"devices_spec", plan.deviceSpec},
                       {"partitioner", plan.partitioner},
                       {"schedule", plan.schedule},
                       {"optimizer", plan.optimizer},
                       {"batch", plan.batch},
                       {"micro_batches", plan.microBatches},
                       {"recompute", plan.recompute},
                       {"chunks", plan.chunks},
                       {"devices", devices},
                       {"stages", stages},
                       {"costs", costsValue(plan.costs)}};
    return root;
}

std::string planToJson(const Plan& plan)
{
    return planValue(plan).dump(1) + "\n";
}

ModelCosts costsFromJson(const std::string& text, const std::string& source)
{
    const json document = parseJson(text, source);
    ModelCosts costs = readCosts(JsonReader(document, source, ""));
    validateAs(source, [&] { validateModelCosts(costs); });
    return costs;
}

Plan planFromJson(const std::string& text, const std::string& source)
{
    const json document = parseJson(text, source);
    return readPlan(JsonReader(document, source, ""));
}

Plan readPlan(const JsonReader& root)
{
    root.requireFormat("lpm-plan", Plan::kFormatVersion);
    Plan plan;
    plan.model = root.field("model").text();
    plan.deviceSpec = root.field("devices_spec").text();
    plan.partitioner = root.field("partitioner").text();
    plan.schedule = root.field("schedule").text();
    plan.optimizer = root.field("optimizer").text();
    plan.batch = root.field("batch").integer();
    plan.microBatches = root.field("micro_batches").integer();
    for (const JsonReader& device : root.field("devices").elements()) {
        PlanDeviceEntry entry;
        entry.label = device.field("label").text();
        entry.costsDevice = device.field("costs").text();
        entry.memoryBytes = device.field("memory_bytes").integer();
        entry.sharedBy = device.field("shared_by").integer32();
        entry.replicas = device.has("replicas") ? device.field("replicas").integer32() : 1; // (optional)
        const JsonReader link = device.field("link_to_next");
        entry.linkToNext = {link.field("name").text(), link.field("bandwidth_bytes_per_second").number(),
                            link.field("latency_us").number() / 1e6};
        plan.devices.push_back(std::move(entry));
    }
    // "recompute" is optional (plans written before recomputation have none): false.
    auto optionalFlag = [](const JsonReader& object, const char* name) {
        return object.has(name) && object.field(name).boolean();
    };
    plan.recompute = optionalFlag(root, "recompute");
    plan.chunks = root.has("chunks") ? root.field("chunks").integer32() : 1; // (optional: interleaved plans)
    for (const JsonReader& stage : root.field("stages").elements())
        plan.stages.push_back({stage.field("first").integer32(), stage.field("last").integer32(),
                               stage.field("device").integer32(), optionalFlag(stage, "recompute")});
    for (PlannedStage& stage : plan.stages) // a stage's replicas are its device's (validatePlan checks the index)
        if (stage.device >= 0 && stage.device < int(plan.devices.size()))
            stage.replicas = plan.devices[size_t(stage.device)].replicas;
    plan.costs = readCosts(root.field("costs"));
    if (plan.costs.model != plan.model)
        root.field("costs").fail("are for model '" + plan.costs.model + "', the plan is for '" + plan.model + "'");
    validateAs(root.source(), [&] { validatePlan(plan); });
    return plan;
}

} // namespace lpm
