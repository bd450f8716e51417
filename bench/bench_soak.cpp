// Soak test of stops and failures (issue 23), run on purpose, not by ctest:
// for every schedule, --runs runs of each case
//   stop  a stop requested at a random moment of a run of --steps mini-batches;
//   fail  an exception thrown by a random stage before a random one of its
//         actions (PipelineExecutor::setActionHook).
// A stop must end the run within 200 ms of its request, with the weights,
// batch-norm statistics and optimizer state of an uninterrupted run of as
// many mini-batches as it reports trained (digests equal). A failure must end
// the run within 2 s with the executor's error, which names the stage that
// threw. Prints, per schedule and case, the time from the request (or the
// throw) to the end of the run as median, 95th percentile and maximum, and
// the violations; exits 1 when there is one.
//
//   bench_soak [--runs 100] [--model lenet5] [--schedules gpipe,...] [--steps 6] [--seed 1]
//
// Two CPU stages (sequential one; interleaved four, two on each of two
// threads), batch 16 in 4 micro-batches, synthetic data.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "data/synthetic_dataset.h"
#include "nn/model_zoo.h"
#include "pipeline/executor.h"
#include "plan/plan.h"
#include "tensor/error.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kStopBoundSeconds = 0.2;
constexpr double kFailureBoundSeconds = 2.0;
constexpr int64_t kBatch = 16;
constexpr int64_t kMicroBatches = 4;
constexpr uint64_t kSeed = 7;

struct Settings {
    std::string model = "lenet5";
    int steps = 6;
    int runs = 100;
    uint64_t seed = 1;
};

// One executor run of `schedule` on a fresh model: stages cut evenly.
class Run {
public:
    Run(const std::string& modelName, const std::string& schedule)
        : model_(lpm::buildModel(modelName)), store_(model_), optimizer_(lpm::makeOptimizer({}, store_))
    {
        store_.initialize(kSeed);
        const lpm::ScheduleTraits traits = lpm::scheduleTraits(schedule);
        chunks_ = traits.interleaved ? lpm::kDefaultInterleavedChunks : 1;
        const int stages = traits.singleStage ? 1 : 2 * chunks_;
        const int units = model_.unitCount();
        lpm::Partition partition;
        for (int s = 0; s < stages; ++s)
            partition.push_back(traits.replicated
                                    ? lpm::PlannedStage{0, units - 1, s}
                                    : lpm::PlannedStage{s * units / stages, (s + 1) * units / stages - 1, s});
        executor_ = std::make_unique<lpm::PipelineExecutor>(model_, store_, *optimizer_, partition, schedule,
                                                            kMicroBatches, kSeed);
        executor_->setChunks(chunks_);
        stages_ = stages;
    }

    lpm::PipelineExecutor& executor() { return *executor_; }
    int stages() const { return stages_; }
    std::string digest() { return lpm::weightsDigest(store_) + " state " + lpm::optimizerStateDigest(*optimizer_); }

private:
    lpm::Model model_;
    lpm::ParameterStore store_;
    std::unique_ptr<lpm::Optimizer> optimizer_;
    std::unique_ptr<lpm::PipelineExecutor> executor_;
    int chunks_ = 1;
    int stages_ = 1;
};

struct Spread {
    double median = 0.0, p95 = 0.0, max = 0.0;
};

Spread spreadOf(std::vector<double> values)
{
    if (values.empty())
        return {};
    std::sort(values.begin(), values.end());
    auto at = [&](double q) { return values[std::min(values.size() - 1, size_t(q * double(values.size())))]; };
    return {at(0.5), at(0.95), values.back()};
}

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"Soak test of stops and injected failures in every schedule (issue 23)"};
    Settings s;
    std::vector<std::string> schedules;
    app.add_option("--runs", s.runs, "Runs per schedule and case")->check(CLI::Range(1, 100000))->capture_default_str();
    app.add_option("--model", s.model, "Zoo model")->capture_default_str();
    app.add_option("--schedules", schedules, "Comma-separated schedules (default: every one)")->delimiter(',');
    app.add_option("--steps", s.steps, "Mini-batches per run")->check(CLI::Range(1, 1000))->capture_default_str();
    app.add_option("--seed", s.seed, "Seed of the random moments, stages and actions")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    try {
        lpm::buildModel(s.model);
        const std::vector<std::string> names = schedules.empty() ? lpm::scheduleNames() : schedules;
        for (const std::string& name : names)
            lpm::scheduleTraits(name);
        const lpm::DatasetSplits data = lpm::makeSyntheticDataset({kBatch * (s.steps + 1), 16, 1, 1, 28, 28, 10});
        const lpm::Batcher batcher(data.train, kBatch, 1);
        auto batchAt = [&](int64_t step) { return batcher.batchAt(step); };
        std::mt19937_64 random(s.seed);
        int violations = 0;
        std::printf("%s, batch %lld in %lld micro-batches, %d mini-batches a run, %d runs per schedule and case; "
                    "bounds: stop %.0f ms, failure %.0f ms\n",
                    s.model.c_str(), static_cast<long long>(kBatch), static_cast<long long>(kMicroBatches), s.steps,
                    s.runs, kStopBoundSeconds * 1e3, kFailureBoundSeconds * 1e3);
        std::printf("%-12s %-5s %6s %10s %10s %10s %10s %10s\n", "schedule", "case", "runs", "ran out", "median ms",
                    "p95 ms", "max ms", "violations");
        for (const std::string& schedule : names) {
            // The digest after k uninterrupted mini-batches, k = 0..steps, and a full run's time.
            std::vector<std::string> reference;
            double fullSeconds = 0.0;
            for (int k = 0; k <= s.steps; ++k) {
                Run run(s.model, schedule);
                const Clock::time_point start = Clock::now();
                if (k > 0)
                    run.executor().run(batchAt, 0, k);
                if (k == s.steps)
                    fullSeconds = secondsSince(start);
                reference.push_back(run.digest());
            }

            // Stops at random moments of the full run's time.
            std::vector<double> stopLatency;
            int ranOut = 0, stopViolations = 0;
            for (int r = 0; r < s.runs; ++r) {
                Run run(s.model, schedule);
                std::atomic<bool> stop{false};
                std::atomic<int64_t> requestedAt{0}; // Clock ticks; 0 until requested
                const auto delay =
                    std::chrono::duration<double>(std::uniform_real_distribution<double>(0.0, fullSeconds)(random));
                std::jthread stopper([&] {
                    std::this_thread::sleep_for(delay);
                    requestedAt = Clock::now().time_since_epoch().count();
                    stop = true;
                });
                const lpm::PipelineRun result = run.executor().run(batchAt, 0, s.steps, &stop);
                const Clock::time_point ended = Clock::now();
                stopper.join();
                const int trained = int(result.steps.size());
                if (!result.stopped) {
                    ++ranOut; // it finished before the request
                } else {
                    const double latency =
                        std::chrono::duration<double>(ended - Clock::time_point(Clock::duration(requestedAt.load())))
                            .count();
                    stopLatency.push_back(latency);
                    if (latency > kStopBoundSeconds) {
                        ++stopViolations;
                        std::printf("  violation: %s stop took %.1f ms\n", schedule.c_str(), latency * 1e3);
                    }
                }
                if (run.digest() != reference[size_t(trained)]) {
                    ++stopViolations;
                    std::printf("  violation: %s stopped after %d mini-batches, weights not those of %d\n",
                                schedule.c_str(), trained, trained);
                }
            }
            const Spread stops = spreadOf(stopLatency);
            std::printf("%-12s %-5s %6d %10d %10.1f %10.1f %10.1f %10d\n", schedule.c_str(), "stop", s.runs, ranOut,
                        stops.median * 1e3, stops.p95 * 1e3, stops.max * 1e3, stopViolations);

            // Failures thrown before a random action of a random stage.
            std::vector<double> failureLatency;
            int failViolations = 0, finished = 0;
            for (int r = 0; r < s.runs; ++r) {
                Run run(s.model, schedule);
                const int stage = std::uniform_int_distribution<int>(0, run.stages() - 1)(random);
                // Somewhere in the run: each stage plays tens of actions per mini-batch.
                const int action = std::uniform_int_distribution<int>(0, 10 * s.steps)(random);
                std::atomic<int> played{0};
                std::atomic<int64_t> thrownAt{0};
                run.executor().setActionHook([&](int s2, const lpm::Action&) {
                    if (s2 == stage && played++ == action) {
                        thrownAt = Clock::now().time_since_epoch().count();
                        throw lpm::Error("injected fault");
                    }
                });
                try {
                    run.executor().run(batchAt, 0, s.steps);
                    ++finished; // the stage had fewer actions than drawn
                } catch (const lpm::Error& error) {
                    const double latency = std::chrono::duration<double>(
                                               Clock::now() - Clock::time_point(Clock::duration(thrownAt.load())))
                                               .count();
                    failureLatency.push_back(latency);
                    const std::string text = error.what();
                    const bool named = text.find("stage " + std::to_string(stage) + " ") != std::string::npos
                                       && text.find("injected fault") != std::string::npos;
                    if (latency > kFailureBoundSeconds || !named) {
                        ++failViolations;
                        std::printf("  violation: %s failure after %.1f ms: %s\n", schedule.c_str(), latency * 1e3,
                                    text.c_str());
                    }
                }
            }
            const Spread failures = spreadOf(failureLatency);
            std::printf("%-12s %-5s %6d %10d %10.1f %10.1f %10.1f %10d\n", schedule.c_str(), "fail", s.runs, finished,
                        failures.median * 1e3, failures.p95 * 1e3, failures.max * 1e3, failViolations);
            std::fflush(stdout);
            violations += stopViolations + failViolations;
        }
        std::printf("%d violations\n", violations);
        return violations == 0 ? 0 : 1;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_soak: %s\n", error.what());
        return 2;
    }
}
