#include "cli/plan_report.h"

#include <algorithm>
#include <cstdio>

#include "graph/model_source.h"
#include "schedule/schedule.h"
#include "tensor/error.h"

namespace lpm::cli {

std::string formatBytes(int64_t bytes)
{
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = double(bytes);
    int unit = 0;
    while (value >= 1024.0 && unit < 4) {
        value /= 1024.0;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    return text;
}

PlanAdvice advisePlanOfZooModel(const Plan& plan, const Prediction& prediction)
{
    std::vector<std::string> labels;
    try {
        labels = labelUnits(outlineAnyModel(plan.model));
    } catch (const Error&) {
        // Neither a zoo model nor an ONNX file still there: its units keep their numbers alone.
    }
    return advisePlan(plan, prediction, labels);
}

void printPlanAdvice(std::FILE* out, const Plan& plan, const PlanAdvice& advice)
{
    std::fprintf(out,
                 "ceiling: a layer-wise cut on these %zu devices runs at most %.2fx faster than "
                 "sequential; bottleneck: %s\n",
                 physicalDevices(plan).size(), advice.ceiling.speedup, advice.bottleneck.c_str());
    if (!advice.suggestion)
        return;
    const ScheduleSuggestion& suggestion = *advice.suggestion;
    std::fprintf(out,
                 "suggestion: schedule %s is predicted at %.2fx (iteration %.3f ms); plan it with "
                 "--schedule %s\n",
                 suggestion.schedule.c_str(), suggestion.speedup, suggestion.iterationSeconds * 1e3,
                 suggestion.schedule.c_str());
}

nlohmann::json adviceJson(const PlanAdvice& advice)
{
    nlohmann::json suggestion = nullptr;
    if (advice.suggestion)
        suggestion = {{"schedule", advice.suggestion->schedule},
                      {"predicted_speedup", advice.suggestion->speedup},
                      {"predicted_iteration_ms", advice.suggestion->iterationSeconds * 1e3}};
    return {{"speedup_ceiling", advice.ceiling.speedup}, {"bottleneck", advice.bottleneck}, {"suggestion", suggestion}};
}

void printPlanReport(const Plan& plan, const Prediction& prediction, const PlanAdvice& advice)
{
    std::printf("%s on %s: partitioner %s, schedule %s, batch %lld in %lld micro-batches of %lld\n", plan.model.c_str(),
                plan.deviceSpec.c_str(), plan.partitioner.c_str(), plan.schedule.c_str(),
                static_cast<long long>(plan.batch), static_cast<long long>(plan.microBatches),
                static_cast<long long>(plan.microBatchSize()));
    std::printf("%5s  %-10s %-11s %12s %9s %9s %23s %9s %6s\n", "stage", "device", "units", "compute ms", "comm ms",
                "update ms", "memory / capacity", "in flight", "busy");
    for (size_t s = 0; s < prediction.stages.size(); ++s) {
        const StagePrediction& stage = prediction.stages[s];
        const std::string units = std::to_string(stage.first) + "-" + std::to_string(stage.last) + " ("
                                  + std::to_string(stage.last - stage.first + 1) + ")";
        const std::string memory = formatBytes(stage.memoryBytes) + " / " + formatBytes(stage.capacityBytes);
        std::printf("%5zu  %-10s %-11s %12.3f %9.3f %9.3f %23s %9d %5.0f%%\n", s, stage.device.c_str(), units.c_str(),
                    (stage.forwardSeconds + stage.backwardSeconds) * 1e3, (stage.communicationSeconds) * 1e3,
                    (stage.updateSeconds + stage.allReduceSeconds) * 1e3, memory.c_str(), stage.peakInFlight,
                    stage.busyFraction * 100.0);
    }
    std::printf("(compute and comm per micro-batch; update per mini-batch%s)\n",
                scheduleTraits(plan.schedule).replicated ? ", with the all-reduce" : "");
    std::string recomputing;
    for (size_t s = 0; s < prediction.stages.size(); ++s)
        if (prediction.stages[s].recompute)
            recomputing += (recomputing.empty() ? "" : ", ") + std::to_string(s);
    if (!recomputing.empty())
        std::printf("recomputation on stage%s %s: each keeps only its input per micro-batch in flight and runs its "
                    "forward again (R) before each backward\n",
                    recomputing.find(',') == std::string::npos ? "" : "s", recomputing.c_str());
    std::string replicated;
    for (const PlannedStage& stage : plan.stages)
        if (stage.replicas > 1)
            replicated += std::string(replicated.empty() ? "" : ", ") + "stage "
                          + std::to_string(&stage - &plan.stages[0]) + " on " + std::to_string(stage.replicas)
                          + " cores (" + plan.devices[size_t(stage.device)].label + ")";
    if (!replicated.empty())
        std::printf("replicated: %s; each micro-batch's samples are split among a stage's cores\n", replicated.c_str());
    int coresUsed = 0, coresOffered = 0; // (devices, counting a replicated stage's cores)
    for (const PlannedStage& stage : plan.stages)
        coresUsed += plan.devices[size_t(stage.device)].replicas;
    for (const PlanDeviceEntry& device : plan.devices)
        coresOffered += device.replicas;
    if (coresUsed < coresOffered) {
        const bool fewerUnits = plan.costs.unitCount() < int(plan.devices.size());
        const char* reason = scheduleTraits(plan.schedule).singleStage ? "sequential runs on the first device"
                             : int(plan.stages.size()) < std::min(plan.costs.unitCount(), int(plan.devices.size()))
                                 ? "fewer stages are predicted to be as fast or faster"
                             : fewerUnits ? "the model has fewer units than devices"
                                          : "more stages would not be faster";
        std::printf("note: the plan uses %d of the %d devices offered (%s)\n", coresUsed, coresOffered, reason);
    }
    std::printf("predicted: iteration %.3f ms, %.0f samples/s, speedup %.2fx over sequential on %s "
                "(%.3f ms), bubble %.1f%%\n",
                prediction.iterationSeconds * 1e3, prediction.samplesPerSecond, prediction.speedup,
                prediction.sequentialDevice.c_str(), prediction.sequentialSeconds * 1e3,
                prediction.bubbleFraction * 100.0);
    printPlanAdvice(stdout, plan, advice);
}

nlohmann::json predictionJson(const Plan& plan, const Prediction& prediction, const PlanAdvice& advice)
{
    nlohmann::json stages = nlohmann::json::array();
    for (const StagePrediction& stage : prediction.stages)
        stages.push_back({{"device", stage.device},
                          {"replicas", plan.stages[size_t(&stage - &prediction.stages[0])].replicas},
                          {"first_unit", stage.first},
                          {"last_unit", stage.last},
                          {"forward_ms", stage.forwardSeconds * 1e3},
                          {"backward_ms", stage.backwardSeconds * 1e3},
                          {"communication_ms", stage.communicationSeconds * 1e3},
                          {"update_ms", stage.updateSeconds * 1e3},
                          {"all_reduce_ms", stage.allReduceSeconds * 1e3},
                          {"peak_in_flight", stage.peakInFlight},
                          {"recompute", stage.recompute},
                          {"memory_bytes", stage.memoryBytes},
                          {"capacity_bytes", stage.capacityBytes},
                          {"busy_fraction", stage.busyFraction}});
    nlohmann::json document = {{"model", plan.model},
                               {"devices", plan.deviceSpec},
                               {"partitioner", plan.partitioner},
                               {"schedule", plan.schedule},
                               {"batch", plan.batch},
                               {"micro_batches", plan.microBatches},
                               {"stages_used", plan.stages.size()},
                               {"devices_offered", physicalDevices(plan).size()},
                               {"predicted_iteration_ms", prediction.iterationSeconds * 1e3},
                               {"predicted_samples_per_second", prediction.samplesPerSecond},
                               {"predicted_speedup", prediction.speedup},
                               {"sequential_device", prediction.sequentialDevice},
                               {"sequential_ms", prediction.sequentialSeconds * 1e3},
                               {"bubble_fraction", prediction.bubbleFraction},
                               {"stages", stages}};
    document.update(adviceJson(advice));
    return document;
}

void printScheduleChoice(const ScheduleChoice& choice)
{
    std::printf("%-11s %9s %-9s %12s %8s %7s %22s %6s\n", "schedule", "recompute", "replicas", "iteration ms",
                "speedup", "bubble", "largest stage memory", "exact");
    for (size_t i = 0; i < choice.candidates.size(); ++i) {
        const ScheduleCandidate& candidate = choice.candidates[i];
        const char* mark = int(i) == choice.chosen ? "  <- chosen" : "";
        const char* recompute = candidate.recompute ? "yes" : "no";
        std::string replicas = candidate.replicated ? "" : "no";
        if (candidate.replicated && candidate.problem.empty())
            for (const PlannedStage& stage : candidate.plan.stages)
                replicas += (replicas.empty() ? "" : ",") + std::to_string(stage.replicas);
        if (!candidate.problem.empty()) {
            std::printf("%-11s %9s %-9s not planned: %s\n", candidate.schedule.c_str(), recompute,
                        candidate.replicated ? "searched" : "no", candidate.problem.c_str());
            continue;
        }
        const Prediction& prediction = candidate.prediction;
        const StagePrediction& largest = largestStage(prediction);
        const std::string memory = formatBytes(largest.memoryBytes) + " / " + formatBytes(largest.capacityBytes)
                                   + (candidate.fits ? "" : " (over)");
        std::printf("%-11s %9s %-9s %12.2f %7.2fx %6.1f%% %22s %6s%s\n", candidate.schedule.c_str(), recompute,
                    replicas.c_str(), prediction.iterationSeconds * 1e3, prediction.speedup,
                    prediction.bubbleFraction * 100.0, memory.c_str(), candidate.exact ? "yes" : "no", mark);
    }
}

nlohmann::json scheduleCandidatesJson(const ScheduleChoice& choice)
{
    nlohmann::json candidates = nlohmann::json::array();
    for (const ScheduleCandidate& candidate : choice.candidates) {
        nlohmann::json entry = {{"schedule", candidate.schedule},
                                {"recompute", candidate.recompute},
                                {"replicated", candidate.replicated},
                                {"exact", candidate.exact},
                                {"fits", candidate.fits}};
        if (!candidate.problem.empty()) {
            entry["problem"] = candidate.problem;
        } else {
            nlohmann::json memory = nlohmann::json::array();
            for (const StagePrediction& stage : candidate.prediction.stages)
                memory.push_back(stage.memoryBytes);
            entry["predicted_iteration_ms"] = candidate.prediction.iterationSeconds * 1e3;
            entry["predicted_speedup"] = candidate.prediction.speedup;
            entry["bubble_fraction"] = candidate.prediction.bubbleFraction;
            entry["peak_memory_bytes"] = memory;
            entry["replicas"] = stageReplicas(candidate.plan);
        }
        candidates.push_back(std::move(entry));
    }
    return candidates;
}

} // namespace lpm::cli
