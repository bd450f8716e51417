// Pipelined training speed on CPU stages (one core and one BLAS thread each)
// against the sequential reference on one core with the whole mini-batch,
// for every zoo model and pipelined schedule and dp (replicas on as many
// cores); beside them, the sequential trainer with as many BLAS threads as
// there are stages, and the sequential trainer on one core with the
// pipeline's micro-batches (the same accumulation: "/seq m" is the speedup
// against it, which leaves out what smaller micro-batches alone gain).
// Each pipelined plan is made as `lpm train --devices cpu:N` makes it (a
// profile right before the run, the lpm partitioner, lpm's step 5 by
// simulation), and its predicted iteration time is printed beside the
// measured one.
//
// The machine's speed drifts by ±15 % over seconds on a shared VM, so every
// figure is a median over --repeats rounds. A round measures the one-core
// reference, then each schedule (profile, plan, run), then the reference
// again; a run's speedup is against the mean of its round's two references,
// and its prediction error is against the profile taken right before it. The
// range (min … max over rounds) is printed beside each median.
//
// Synthetic 28×28 data (no file loading); warm-up steps are not timed. A
// model whose --steps sequential steps take less than --min-seconds gets
// more steps, and a warm-up of as many plus one, so that no timed window is
// a few tens of milliseconds of a machine whose speed moves in stretches of
// about 100 ms, and that such a stretch covers fewer than half of the
// mini-batches the calibration takes its medians over.
//
//   bench_pipeline [--models resnet-mini,...] [--schedules lpm,...] [--stages 2]
//                  [--batch 256] [--micro-batches 8] [--steps 4] [--warmup 3]
//                  [--min-seconds 0.5] [--repeats 3] [--spin-us 0,1000] [--breakdown]
//                  [--json results.json]
//
// Besides the error against the profile's prediction, each schedule's line
// gives the error of the timed run predicted from the cost model calibrated
// (sim/calibration.h) on the warm-up's mini-batches after the first, as
// `lpm train --save-costs` does (the plan's own stages measured before the
// run); beside it, "by means", the same calibration from mean rather than
// median action times; and the calibrated error over the "quiet" rounds
// only: those whose timed window had no slow mini-batch (one on which a
// stage was busy for over 1.25 × its median, which the shared VMs' slow
// stretches cause; a window slow throughout is not told apart).
//
// A schedule written with "+r" (1f1b+r) runs with activation recomputation
// on every stage (`--recompute`), beside the same schedule without it; with
// "+x" (lpm+x) with the stage replication the planner chooses (`--replicas
// auto`, replicated stages shown as "0-3x2": units 0-3 on two cores).
//
// --breakdown prints, after every run, each stage's measured and predicted
// mean F, B, U and all-reduce, the run "replayed": its schedule simulated
// with its own action times, which separates errors of the schedule model
// from errors in what the actions cost, its calibrated prediction and its
// count of slow mini-batches.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "backend/cpu/blas_kernel.h"
#include "backend/cpu/cpu_backend.h"
#include "data/batcher.h"
#include "data/synthetic_dataset.h"
#include "devices/host_devices.h"
#include "io/atomic_file.h"
#include "nn/model_zoo.h"
#include "pipeline/executor.h"
#include "plan/plan.h"
#include "plan/profiler.h"
#include "schedule/schedule.h"
#include "sim/calibration.h"
#include "sim/prediction.h"
#include "sim/replication_choice.h"
#include "sim/simulator.h"
#include "train/training_step.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Settings {
    int stages = 2;
    int64_t batch = 256;
    int64_t microBatches = 8;
    int steps = 4;
    int warmup = 3; // all but the first calibrate (see PipelinedResult::calibratedIteration)
    int repeats = 3;
    double minSeconds = 0.5; // of sequential training per timed window (see withMinimumSeconds)
};

// `s` with at least s.minSeconds of sequential training at `samplesPerSecond`
// in the timed steps, and a warm-up of as many plus one when that is more.
Settings withMinimumSeconds(Settings s, double samplesPerSecond)
{
    const int steps = int(std::ceil(s.minSeconds * samplesPerSecond / double(s.batch)));
    if (steps > s.steps) {
        s.steps = steps;
        s.warmup = std::max(s.warmup, 1 + steps);
    }
    return s;
}

double seconds(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Samples/s of the sequential trainer with `threads` BLAS threads, the mini-batch in `microBatches`.
double sequentialSamplesPerSecond(const std::string& modelName, const lpm::Batcher& batcher, const Settings& s,
                                  int threads, int64_t microBatches = 1)
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
        lpm::runTrainingStep(backend, model, store, *optimizer, batch, microBatches, 1, step);
        if (step >= s.warmup)
            timed += seconds(start);
    }
    return double(s.steps * s.batch) / timed;
}

struct PipelinedResult {
    double samplesPerSecond = 0.0;
    double measuredIteration = 0.0;
    double predictedIteration = 0.0;
    // The schedule simulated with this run's own mean F, B, U and all-reduce
    // per stage: what the prediction would be with exact action costs, so the
    // rest of the error is waiting, hand-overs and work between actions.
    double replayedIteration = 0.0;
    // The timed run predicted from the costs calibrated on the warm-up run
    // instead of the profile's (0 without warm-up).
    double calibratedIteration = 0.0;
    double calibratedByMeansIteration = 0.0; // the same with mean action times (CalibrationStatistic::Mean)
    std::vector<lpm::StageTimes> predictedTimes, measuredTimes; // per stage
    std::string stages;                                         // "0-4 | 5-11"
    int slowMiniBatches = 0;                                    // of the timed ones (see slowMiniBatchesIn)
    int timedMiniBatches = 0;
};

// Median and range of one figure: over the rounds, or over a run's mini-batches.
struct Spread {
    double median = 0.0;
    double min = 0.0;
    double max = 0.0;
};

Spread spreadOf(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return {n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]), values.front(), values.back()};
}

// Timed mini-batches on which some stage was busy for over 1.25 × its median
// busy time per mini-batch: the shared VM's slow stretches, in which a
// stage's actions take 1.5 … 1.9 × as long for some 100 ms.
int slowMiniBatchesIn(const lpm::Timeline& timeline)
{
    std::map<int, std::vector<double>> busy; // per mini-batch, per stage: seconds
    for (const lpm::TimelineEvent& event : timeline.events) {
        std::vector<double>& stages = busy[event.miniBatch];
        stages.resize(size_t(timeline.stages), 0.0);
        stages[size_t(event.stage)] += event.end - event.start;
    }
    std::vector<double> median(size_t(timeline.stages), 0.0);
    for (size_t s = 0; s < median.size(); ++s) {
        std::vector<double> perMiniBatch;
        for (const auto& [miniBatch, stages] : busy)
            perMiniBatch.push_back(stages[s]);
        median[s] = perMiniBatch.empty() ? 0.0 : spreadOf(perMiniBatch).median;
    }
    int slow = 0;
    for (const auto& [miniBatch, stages] : busy) {
        bool anySlow = false;
        for (size_t s = 0; s < stages.size(); ++s)
            anySlow = anySlow || stages[s] > 1.25 * median[s];
        slow += anySlow ? 1 : 0;
    }
    return slow;
}

// Costs of every unit on one core at the plan's micro-batch size, measured
// now; with `replicaThreads`, also on that many cores for each ("cpu*r").
lpm::ModelCosts profileNow(const std::string& modelName, const Settings& s, const std::vector<int>& replicaThreads = {})
{
    lpm::Model model = lpm::buildModel(modelName);
    lpm::ProfileOptions profile;
    profile.microBatchSize = s.batch / s.microBatches;
    lpm::CpuBackend backend(1);
    lpm::ModelCosts costs = lpm::profileModel(backend, model, profile);
    for (int threads : replicaThreads) {
        lpm::CpuBackend team(threads);
        profile.device = lpm::replicatedCostsDevice(threads);
        costs.devices.push_back(lpm::profileModel(team, model, profile).devices.front());
    }
    return costs;
}

// The plan is made from a profile taken right before the run, as `lpm train --devices cpu:N` does.
// "1f1b+r": the schedule, recomputing on every stage; "1f1b+x": with the
// stage replication the planner chooses (`--replicas auto`).
struct ScheduleVariant {
    std::string schedule;
    bool recompute = false;
    bool replicate = false;
};
ScheduleVariant parseVariant(std::string name)
{
    ScheduleVariant variant;
    for (bool found = true; found;) {
        found = false;
        for (auto [suffix, flag] : {std::pair{"+r", &variant.recompute}, {"+x", &variant.replicate}})
            if (name.size() > 2 && name.ends_with(suffix)) {
                *flag = found = true;
                name.resize(name.size() - 2);
            }
    }
    variant.schedule = name;
    return variant;
}

PipelinedResult pipelined(const std::string& modelName, const std::string& variant, std::optional<int> spinMicroseconds,
                          const lpm::Batcher& batcher, const Settings& s)
{
    const auto [schedule, recompute, replicate] = parseVariant(variant);
    lpm::Plan plan;
    plan.model = modelName;
    plan.deviceSpec = "cpu:" + std::to_string(s.stages);
    plan.partitioner = "lpm";
    plan.schedule = schedule;
    plan.batch = s.batch;
    plan.microBatches = s.microBatches;
    plan.recompute = recompute;
    plan.devices = lpm::planDevices(lpm::parseDeviceSet(plan.deviceSpec), lpm::discoverHostDevices());
    plan = lpm::withSchedule(plan, schedule); // (interleaved: two chunks on each core)
    if (replicate) {
        plan.costs = profileNow(modelName, s, lpm::replicationThreadCounts(s.stages));
        lpm::chooseReplication(plan);
    } else {
        plan.costs = profileNow(modelName, s);
        lpm::partitionPlanPredicted(plan);
    }

    lpm::Model model = lpm::buildModel(modelName);
    lpm::ParameterStore store(model);
    store.initialize(1);
    auto optimizer = lpm::makeOptimizer({}, store);
    lpm::PipelineExecutor executor(model, store, *optimizer, plan.stages, schedule, s.microBatches, 1);
    executor.setChunks(plan.chunks);
    if (spinMicroseconds)
        executor.setWaitSpin(std::chrono::microseconds(*spinMicroseconds));
    auto batchAt = [&](int64_t step) { return batcher.batchAt(step); };
    lpm::Timeline warmupTimeline;
    if (s.warmup > 0)
        warmupTimeline = executor.run(batchAt, 0, s.warmup).timeline;
    const lpm::PipelineRun run = executor.run(batchAt, s.warmup, s.steps);
    PipelinedResult result;
    result.measuredIteration = run.seconds / s.steps;
    result.samplesPerSecond = double(s.steps * s.batch) / run.seconds;
    // What this run contains: s.steps mini-batches with one fill and one drain.
    result.predictedIteration = lpm::predictRunSeconds(plan, s.steps) / s.steps;
    result.predictedTimes = lpm::stageTimesFor(plan);
    result.measuredTimes = lpm::measuredStageTimes(run.timeline, result.predictedTimes);
    const lpm::Schedule played = lpm::planSchedule(plan, s.steps);
    result.replayedIteration = lpm::simulateSchedule(played, result.measuredTimes).makespanSeconds / s.steps;
    result.slowMiniBatches = slowMiniBatchesIn(run.timeline);
    result.timedMiniBatches = s.steps;
    if (s.warmup > 0) {
        auto predictedFromCalibration = [&](lpm::CalibrationStatistic statistic) {
            lpm::Plan calibrated = plan;
            calibrated.costs =
                lpm::calibrateCosts(plan, warmupTimeline, lpm::firstWarmMiniBatch(warmupTimeline), statistic);
            return lpm::predictRunSeconds(calibrated, s.steps) / s.steps;
        };
        result.calibratedIteration = predictedFromCalibration(lpm::CalibrationStatistic::Median);
        result.calibratedByMeansIteration = predictedFromCalibration(lpm::CalibrationStatistic::Mean);
    }
    for (const lpm::PlannedStage& stage : plan.stages)
        result.stages += (result.stages.empty() ? "" : " | ") + std::to_string(stage.first) + "-"
                         + std::to_string(stage.last)
                         + (stage.replicas > 1 ? "x" + std::to_string(stage.replicas) : "");
    return result;
}

nlohmann::json toJson(const Spread& spread)
{
    return {{"median", spread.median}, {"min", spread.min}, {"max", spread.max}};
}

// Per schedule, one entry per round.
struct ScheduleRounds {
    std::string schedule;
    std::optional<int> spinMicroseconds; // unset: the executor's default
    std::string label;                   // the schedule, and the spin when several are compared
    std::vector<double> samplesPerSecond, speedup, speedupSameAccumulation, measuredMs, predictedMs, error;
    std::vector<std::string> stages;
    std::vector<double> replayedError, calibratedError; // percent, like error
    std::vector<double> calibratedByMeansError;
    std::vector<double> quietCalibratedError; // calibratedError of the rounds without a slow mini-batch
    std::vector<int> slowMiniBatches;
};

std::vector<std::string> splitList(const std::string& list)
{
    std::vector<std::string> items;
    std::istringstream stream(list);
    for (std::string item; std::getline(stream, item, ',');)
        if (!item.empty())
            items.push_back(item);
    return items;
}

// One line per run: measured, predicted and replayed iteration, then per stage
// "F measured/predicted B …" in ms.
void printBreakdown(const std::string& model, const std::string& label, const PipelinedResult& run)
{
    std::printf("  %s %s: measured %.2f ms, predicted %.2f (%+.0f%%), replayed %.2f (%+.0f%%)", model.c_str(),
                label.c_str(), 1e3 * run.measuredIteration, 1e3 * run.predictedIteration,
                100.0 * (run.measuredIteration / run.predictedIteration - 1.0), 1e3 * run.replayedIteration,
                100.0 * (run.measuredIteration / run.replayedIteration - 1.0));
    if (run.calibratedIteration > 0.0) // (none without a warm-up)
        std::printf(", calibrated %.2f (%+.0f%%; by means %+.0f%%)", 1e3 * run.calibratedIteration,
                    100.0 * (run.measuredIteration / run.calibratedIteration - 1.0),
                    100.0 * (run.measuredIteration / run.calibratedByMeansIteration - 1.0));
    std::printf(", slow mini-batches %d of %d |", run.slowMiniBatches, run.timedMiniBatches);
    for (size_t k = 0; k < run.measuredTimes.size(); ++k) {
        const lpm::StageTimes& m = run.measuredTimes[k];
        const lpm::StageTimes& p = run.predictedTimes[k];
        std::printf(" s%zu F %.3f/%.3f B %.3f/%.3f U %.3f/%.3f", k, 1e3 * m.forward, 1e3 * p.forward, 1e3 * m.backward,
                    1e3 * p.backward, 1e3 * m.update, 1e3 * p.update);
        if (p.allReduce > 0.0 || m.allReduce > 0.0)
            std::printf(" AR %.3f/%.3f", 1e3 * m.allReduce, 1e3 * p.allReduce);
    }
    std::printf("\n");
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv)
{
    lpm::selectBlasKernel(argv); // the kernel lpm itself would run on
    CLI::App app("Pipelined CPU training speed against sequential", "bench_pipeline");
    Settings s;
    std::string models = "mlp,lenet5,cnn,vgg-mini,resnet-mini";
    std::string schedules = "gpipe,1f1b,lpm,lpm-async,dp";
    std::string jsonFile;
    bool breakdown = false;
    std::vector<int> spinList; // empty: the executor's own choice
    app.add_option("--models", models, "Comma-separated zoo models")->capture_default_str();
    app.add_option("--schedules", schedules, "Comma-separated schedules")->capture_default_str();
    app.add_option("--stages", s.stages, "CPU stages (one core each)")
        ->check(CLI::Range(2, 1024))
        ->capture_default_str();
    app.add_option("--batch", s.batch, "Mini-batch size")
        ->check(CLI::Range(int64_t{1}, int64_t{1} << 16))
        ->capture_default_str();
    app.add_option("--micro-batches", s.microBatches, "Micro-batches per mini-batch")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--steps", s.steps, "Timed mini-batches per run")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    app.add_option("--warmup", s.warmup, "Untimed mini-batches first")
        ->check(CLI::Range(0, 1000))
        ->capture_default_str();
    app.add_option("--min-seconds", s.minSeconds,
                   "Per model, at least this many seconds of sequential training in the timed steps (more steps "
                   "and warm-up when --steps take less)")
        ->check(CLI::Range(0.0, 3600.0))
        ->capture_default_str();
    app.add_option("--repeats", s.repeats, "Rounds per model; figures are medians over them")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    app.add_option("--spin-us", spinList,
                   "Comma-separated times (us) a waiting stage spins before it blocks; each schedule runs with "
                   "each, side by side (default: the executor's own choice)")
        ->delimiter(',')
        ->check(CLI::Range(0, 1000000));
    app.add_option("--json", jsonFile, "Also write the results as JSON");
    app.add_flag("--breakdown", breakdown,
                 "After every run, print each stage's mean F, B, U and all-reduce ms, measured/predicted, and the "
                 "iteration the schedule would take with the measured action times (replayed) or predicted from "
                 "costs calibrated on the warm-up (calibrated)");
    CLI11_PARSE(app, argc, argv);
    try {
        lpm::requireEqualMicroBatches(s.batch, s.microBatches);
        // A typo fails now, not after an hour.
        for (const std::string& schedule : splitList(schedules))
            lpm::scheduleTraits(parseVariant(schedule).schedule);
        for (const std::string& model : splitList(models))
            lpm::buildModel(model);

        const lpm::HostDevices host = lpm::discoverHostDevices();
        std::printf(
            "%s, %d usable cores; %d stages, batch %lld in %lld micro-batches, at least %d timed steps after %d, "
            "medians of %d rounds [min … max]\n",
            host.cpuName.c_str(), host.cpuCores, s.stages, static_cast<long long>(s.batch),
            static_cast<long long>(s.microBatches), s.steps, s.warmup, s.repeats);
        std::printf("%s\n", host.blasKernelDetail.c_str());
        const lpm::DatasetSplits data =
            lpm::makeSyntheticDataset({s.batch * (s.steps + s.warmup + 1), 16, 1, 1, 28, 28, 10});
        const lpm::Batcher batcher(data.train, s.batch, 1);
        nlohmann::json results = nlohmann::json::array();
        std::printf("%-12s %-10s %-12s %10s %-18s %6s %11s %12s %-16s %-16s %s\n", "model", "schedule", "stages",
                    "samples/s", "speedup", "/seq m", "measured ms", "predicted ms", "error", "calibrated (by means)",
                    "quiet rounds: calibrated");
        for (const std::string& model : splitList(models)) {
            std::vector<ScheduleRounds> rounds;
            for (const std::string& schedule : splitList(schedules)) {
                auto add = [&](std::optional<int> spin, std::string label) {
                    rounds.emplace_back();
                    rounds.back().schedule = schedule;
                    rounds.back().spinMicroseconds = spin;
                    rounds.back().label = std::move(label);
                };
                if (spinList.empty())
                    add(std::nullopt, schedule);
                for (int spin : spinList)
                    add(spin, schedule + " s" + std::to_string(spin));
            }
            std::vector<double> reference, threaded, sameAccumulation;
            const Settings settings = withMinimumSeconds(s, sequentialSamplesPerSecond(model, batcher, s, 1));
            if (settings.steps != s.steps)
                std::printf("%-12s %d timed steps after %d (--min-seconds %.2g)\n", model.c_str(), settings.steps,
                            settings.warmup, s.minSeconds);
            double before = sequentialSamplesPerSecond(model, batcher, settings, 1);
            for (int round = 0; round < s.repeats; ++round) {
                std::vector<PipelinedResult> runs;
                for (const ScheduleRounds& r : rounds) {
                    runs.push_back(pipelined(model, r.schedule, r.spinMicroseconds, batcher, settings));
                    if (breakdown)
                        printBreakdown(model, r.label, runs.back());
                }
                threaded.push_back(sequentialSamplesPerSecond(model, batcher, settings, s.stages));
                const double microBatched = sequentialSamplesPerSecond(model, batcher, settings, 1, s.microBatches);
                const double after = sequentialSamplesPerSecond(model, batcher, settings, 1);
                const double roundReference = 0.5 * (before + after);
                reference.push_back(roundReference);
                threaded.back() /= roundReference;
                sameAccumulation.push_back(microBatched / roundReference);
                for (size_t k = 0; k < rounds.size(); ++k) {
                    const PipelinedResult& run = runs[k];
                    ScheduleRounds& r = rounds[k];
                    r.samplesPerSecond.push_back(run.samplesPerSecond);
                    r.speedup.push_back(run.samplesPerSecond / roundReference);
                    r.speedupSameAccumulation.push_back(run.samplesPerSecond / microBatched);
                    r.measuredMs.push_back(1e3 * run.measuredIteration);
                    r.predictedMs.push_back(1e3 * run.predictedIteration);
                    r.error.push_back(100.0 * (run.measuredIteration / run.predictedIteration - 1.0));
                    r.replayedError.push_back(100.0 * (run.measuredIteration / run.replayedIteration - 1.0));
                    if (run.calibratedIteration > 0.0) {
                        r.calibratedError.push_back(100.0 * (run.measuredIteration / run.calibratedIteration - 1.0));
                        r.calibratedByMeansError.push_back(
                            100.0 * (run.measuredIteration / run.calibratedByMeansIteration - 1.0));
                        if (run.slowMiniBatches == 0)
                            r.quietCalibratedError.push_back(r.calibratedError.back());
                    }
                    r.slowMiniBatches.push_back(run.slowMiniBatches);
                    r.stages.push_back(run.stages);
                }
                before = after;
            }
            const Spread ref = spreadOf(reference);
            const Spread blas = spreadOf(threaded);
            const Spread micro = spreadOf(sameAccumulation);
            std::printf("%-12s %-10s %-12s %10.1f %-18s %11.1f   (one-core reference per round: %.1f … %.1f)\n",
                        model.c_str(), "sequential", "1 core", ref.median, "1.00x", 1e3 * s.batch / ref.median, ref.min,
                        ref.max);
            std::printf("%-12s %-10s %-12s %10s %5.2fx [%.2f … %.2f]\n", "", "seq-BLASxN",
                        (std::to_string(s.stages) + " threads").c_str(), "", blas.median, blas.min, blas.max);
            std::printf("%-12s %-10s %-12s %10s %5.2fx [%.2f … %.2f]\n", "", "seq m", "1 core", "", micro.median,
                        micro.min, micro.max);
            nlohmann::json entry = {{"model", model},
                                    {"steps", settings.steps},
                                    {"warmup", settings.warmup},
                                    {"sequential_samples_per_second", toJson(ref)},
                                    {"sequential_threads_speedup", toJson(blas)},
                                    {"sequential_micro_batched_speedup", toJson(micro)}};
            for (const ScheduleRounds& r : rounds) {
                const Spread speedup = spreadOf(r.speedup), error = spreadOf(r.error);
                const Spread overSame = spreadOf(r.speedupSameAccumulation);
                // The cut all rounds chose, or "varies" (each round plans from its own profile).
                std::string cuts = r.stages.front();
                for (const std::string& other : r.stages)
                    if (other != r.stages.front())
                        cuts = "varies";
                std::printf(
                    "%-12s %-10s %-12s %10.1f %5.2fx [%.2f … %.2f] %5.2fx %11.1f %12.1f %+4.0f%% [%+.0f … %+.0f]", "",
                    r.label.c_str(), cuts.c_str(), spreadOf(r.samplesPerSecond).median, speedup.median, speedup.min,
                    speedup.max, overSame.median, spreadOf(r.measuredMs).median, spreadOf(r.predictedMs).median,
                    error.median, error.min, error.max);
                if (!r.calibratedError.empty()) {
                    const Spread calibrated = spreadOf(r.calibratedError);
                    std::printf("  %+4.0f%% [%+.0f … %+.0f] (by means %+.0f%%)", calibrated.median, calibrated.min,
                                calibrated.max, spreadOf(r.calibratedByMeansError).median);
                }
                std::printf("  %zu of %zu", r.quietCalibratedError.size(), r.calibratedError.size());
                if (!r.quietCalibratedError.empty())
                    std::printf(": %+.0f%%", spreadOf(r.quietCalibratedError).median);
                std::printf("\n");
                entry[r.label] = {
                    {"samples_per_second", toJson(spreadOf(r.samplesPerSecond))},
                    {"speedup", toJson(speedup)},
                    {"speedup_vs_sequential_same_accumulation", toJson(overSame)},
                    {"measured_iteration_ms", toJson(spreadOf(r.measuredMs))},
                    {"predicted_iteration_ms", toJson(spreadOf(r.predictedMs))},
                    {"prediction_error_percent", toJson(error)},
                    {"replayed_error_percent", toJson(spreadOf(r.replayedError))},
                    {"calibrated_error_percent",
                     r.calibratedError.empty() ? nlohmann::json() : toJson(spreadOf(r.calibratedError))},
                    {"calibrated_by_means_error_percent",
                     r.calibratedByMeansError.empty() ? nlohmann::json() : toJson(spreadOf(r.calibratedByMeansError))},
                    {"calibrated_error_percent_quiet_rounds",
                     r.quietCalibratedError.empty() ? nlohmann::json() : toJson(spreadOf(r.quietCalibratedError))},
                    {"slow_mini_batches_per_round", r.slowMiniBatches},
                    {"stages_per_round", r.stages}};
            }
            results.push_back(entry);
            std::fflush(stdout);
        }
        if (!jsonFile.empty())
            lpm::writeFileAtomically(jsonFile, nlohmann::json{{"cpu", host.cpuName},
                                                              {"cores", host.cpuCores},
                                                              {"stages", s.stages},
                                                              {"batch", s.batch},
                                                              {"micro_batches", s.microBatches},
                                                              {"steps", s.steps},
                                                              {"min_seconds", s.minSeconds},
                                                              {"repeats", s.repeats},
                                                              {"results", results}}
                                                   .dump(1));
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_pipeline: error: %s\n", error.what());
        return 1;
    }
    return 0;
}
