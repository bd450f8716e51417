// Pipelined training speed on CPU stages (one core and one BLAS thread each)
// against the sequential reference on one core with the whole mini-batch,
// side by side in one run, for every zoo model and pipelined schedule and dp
// (replicas on as many cores); beside them, the sequential trainer with as
// many BLAS threads as there are stages.
// Each pipelined plan is made as `lpm train --devices cpu:N` makes it (a
// profile now, the chosen partitioner, lpm's step 5 by simulation), and its
// predicted iteration time is printed beside the measured one.
//
// Synthetic 28×28 data (no file loading); warm-up steps are not timed. The
// one-core reference runs before and after the pipelined runs, and speedups
// are against the mean of the two (their spread shows the machine's noise).
//
//   bench_pipeline [--models resnet-mini,...] [--stages 2] [--batch 256]
//                  [--micro-batches 8] [--steps 4] [--warmup 1] [--json results.json]
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "backend/cpu/cpu_backend.h"
#include "data/batcher.h"
#include "data/synthetic_dataset.h"
#include "devices/host_devices.h"
#include "io/atomic_file.h"
#include "nn/model_zoo.h"
#include "pipeline/executor.h"
#include "plan/plan.h"
#include "plan/profiler.h"
#include "sim/prediction.h"
#include "train/training_step.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Settings {
    int stages = 2;
    int64_t batch = 256;
    int64_t microBatches = 8;
    int steps = 4;
    int warmup = 1;
};

double seconds(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Samples/s of the sequential trainer with `threads` BLAS threads and the whole mini-batch at once.
double sequentialSamplesPerSecond(const std::string& modelName, const lpm::Batcher& batcher, const Settings& s,
                                  int threads)
{
    lpm::Model model = lpm::buildModel(modelName);
    lpm::ParameterStore store(model);
    store.initialize(1);
    auto optimizer = lpm::makeOptimizer({}, store);
    lpm::CpuBackend backend(threads);
    double timed = 0.0;
    for (int step = 0; step < s.warmup + s.steps; ++step) {
        const lpm::Batch batch = batcher.batchAt(step);
        const Clock::time_point start = Clock::now();
        lpm::runTrainingStep(backend, model, store, *optimizer, batch, 1, 1, step);
        if (step >= s.warmup)
            timed += seconds(start);
    }
    return double(s.steps * s.batch) / timed;
}

struct PipelinedResult {
    double samplesPerSecond = 0.0;
    double measuredIteration = 0.0;
    double predictedIteration = 0.0;
    std::string stages; // "0-4 | 5-11"
};

PipelinedResult pipelined(const std::string& modelName, const std::string& schedule, const lpm::Batcher& batcher,
                          const Settings& s, const lpm::ModelCosts& costs)
{
    lpm::Plan plan;
    plan.model = modelName;
    plan.deviceSpec = "cpu:" + std::to_string(s.stages);
    plan.partitioner = "lpm";
    plan.schedule = schedule;
    plan.batch = s.batch;
    plan.microBatches = s.microBatches;
    plan.devices = lpm::planDevices(lpm::parseDeviceSet(plan.deviceSpec), lpm::discoverHostDevices());
    plan.costs = costs;
    lpm::partitionPlanPredicted(plan);

    lpm::Model model = lpm::buildModel(modelName);
    lpm::ParameterStore store(model);
    store.initialize(1);
    auto optimizer = lpm::makeOptimizer({}, store);
    lpm::PipelineExecutor executor(model, store, *optimizer, plan.stages, schedule, s.microBatches, 1);
    auto batchAt = [&](int64_t step) { return batcher.batchAt(step); };
    if (s.warmup > 0)
        executor.run(batchAt, 0, s.warmup);
    const lpm::PipelineRun run = executor.run(batchAt, s.warmup, s.steps);
    PipelinedResult result;
    result.measuredIteration = run.seconds / s.steps;
    result.samplesPerSecond = double(s.steps * s.batch) / run.seconds;
    result.predictedIteration = lpm::predictPlan(plan).iterationSeconds;
    for (const lpm::PlannedStage& stage : plan.stages)
        result.stages += (result.stages.empty() ? "" : " | ") + std::to_string(stage.first) + "-"
                         + std::to_string(stage.last);
    return result;
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app("Pipelined CPU training speed against sequential", "bench_pipeline");
    Settings s;
    std::string models = "mlp,lenet5,cnn,vgg-mini,resnet-mini";
    std::string jsonFile;
    app.add_option("--models", models, "Comma-separated zoo models")->capture_default_str();
    app.add_option("--stages", s.stages, "CPU stages (one core each)")->check(CLI::Range(2, 1024))->capture_default_str();
    app.add_option("--batch", s.batch, "Mini-batch size")->check(CLI::Range(int64_t{1}, int64_t{1} << 16))->capture_default_str();
    app.add_option("--micro-batches", s.microBatches, "Micro-batches per mini-batch")->check(CLI::PositiveNumber)->capture_default_str();
    app.add_option("--steps", s.steps, "Timed mini-batches per run")->check(CLI::Range(1, 100000))->capture_default_str();
    app.add_option("--warmup", s.warmup, "Untimed mini-batches first")->check(CLI::Range(0, 1000))->capture_default_str();
    app.add_option("--json", jsonFile, "Also write the results as JSON");
    CLI11_PARSE(app, argc, argv);
    lpm::requireEqualMicroBatches(s.batch, s.microBatches);

    const lpm::HostDevices host = lpm::discoverHostDevices();
    std::printf("%s, %d usable cores; %d stages, batch %lld in %lld micro-batches, %d timed steps after %d\n",
                host.cpuName.c_str(), host.cpuCores, s.stages, static_cast<long long>(s.batch),
                static_cast<long long>(s.microBatches), s.steps, s.warmup);
    const lpm::DatasetSplits data = lpm::makeSyntheticDataset({s.batch * (s.steps + s.warmup + 1), 16, 1, 1, 28, 28, 10});
    const lpm::Batcher batcher(data.train, s.batch, 1);
    nlohmann::json results = nlohmann::json::array();
    std::printf("%-12s %-10s %-14s %10s %8s %12s %12s %7s\n", "model", "schedule", "stages", "samples/s", "speedup",
                "measured ms", "predicted ms", "error");
    std::istringstream list(models);
    for (std::string model; std::getline(list, model, ',');) {
        lpm::CpuBackend profileBackend(1);
        lpm::Model profiled = lpm::buildModel(model);
        lpm::ProfileOptions profile;
        profile.microBatchSize = s.batch / s.microBatches;
        const lpm::ModelCosts costs = lpm::profileModel(profileBackend, profiled, profile);

        const double before = sequentialSamplesPerSecond(model, batcher, s, 1);
        std::vector<std::pair<std::string, PipelinedResult>> runs;
        for (const char* schedule : {"gpipe", "1f1b", "lpm", "lpm-async", "dp"})
            runs.emplace_back(schedule, pipelined(model, schedule, batcher, s, costs));
        const double threaded = sequentialSamplesPerSecond(model, batcher, s, s.stages);
        const double after = sequentialSamplesPerSecond(model, batcher, s, 1);
        const double reference = 0.5 * (before + after);
        std::printf("%-12s %-10s %-14s %10.1f %8s %12.1f %12s %7s   (one core: %.1f before, %.1f after)\n", model.c_str(),
                    "sequential", "1 core", reference, "1.00", 1e3 * s.batch / reference, "", "", before, after);
        std::printf("%-12s %-10s %-14s %10.1f %7.2fx %12.1f\n", "", "seq-BLASxN", (std::to_string(s.stages) + " threads").c_str(),
                    threaded, threaded / reference, 1e3 * s.batch / threaded);
        nlohmann::json entry = {{"model", model},
                                {"sequential_samples_per_second", reference},
                                {"sequential_before", before},
                                {"sequential_after", after},
                                {"sequential_threads_samples_per_second", threaded}};
        for (const auto& [schedule, r] : runs) {
            std::printf("%-12s %-10s %-14s %10.1f %7.2fx %12.1f %12.1f %+6.0f%%\n", "", schedule.c_str(), r.stages.c_str(),
                        r.samplesPerSecond, r.samplesPerSecond / reference, 1e3 * r.measuredIteration,
                        1e3 * r.predictedIteration, 100.0 * (r.measuredIteration / r.predictedIteration - 1.0));
            entry[schedule] = {{"samples_per_second", r.samplesPerSecond},
                               {"speedup", r.samplesPerSecond / reference},
                               {"measured_iteration_ms", 1e3 * r.measuredIteration},
                               {"predicted_iteration_ms", 1e3 * r.predictedIteration},
                               {"stages", r.stages}};
        }
        results.push_back(entry);
        std::fflush(stdout);
    }
    if (!jsonFile.empty())
        lpm::writeFileAtomically(jsonFile, nlohmann::json{{"cpu", host.cpuName}, {"cores", host.cpuCores},
                                                          {"stages", s.stages}, {"batch", s.batch},
                                                          {"micro_batches", s.microBatches}, {"results", results}}
                                                   .dump(1));
    return 0;
}
