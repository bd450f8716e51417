// Planning speed: each partitioner on a seeded random chain of units over a
// heterogeneous pipeline (default 1,000 units, 64 devices), median of 5 runs;
// then the simulator on a large pipeline (default 1,024 stages × 256
// micro-batches, 1F1B), validation included; then what the desktop window
// asks on every drag of a boundary: the whole prediction of a zoo model's
// plan (vgg-mini on 8 catalogue H100s, estimated costs), median of 21.
//
//   bench_planning [--units 1000] [--devices 64] [--sim-stages 1024] [--sim-micro-batches 256]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <CLI/CLI.hpp>

#include "nn/model_zoo.h"
#include "plan/partitioners.h"
#include "sim/prediction.h"
#include "sim/simulator.h"
#include "tensor/random.h"

int main(int argc, char** argv)
{
    CLI::App app("Planning speed of the partitioners", "bench_planning");
    int units = 1000, devices = 64;
    app.add_option("--units", units, "Units in the chain")->check(CLI::Range(1, 1000000))->capture_default_str();
    app.add_option("--devices", devices, "Devices in the pipeline")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    int simStages = 1024, simMicroBatches = 256;
    app.add_option("--sim-stages", simStages, "Stages of the simulated pipeline")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    app.add_option("--sim-micro-batches", simMicroBatches, "Micro-batches of the simulated pipeline")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    lpm::RandomStream random(42);
    lpm::PartitionProblem problem;
    for (int u = 0; u < units; ++u) {
        problem.unitSeconds.push_back(1e-3 * (0.1 + random.nextUniform()));
        problem.outputBytes.push_back(int64_t(1e6 * random.nextUniform()));
        problem.staticBytes.push_back(int64_t(1e6 * random.nextUniform()));
        problem.savedBytes.push_back(int64_t(1e5 * random.nextUniform()));
    }
    for (int d = 0; d < devices; ++d) {
        lpm::PlanDevice device;
        device.name = "device" + std::to_string(d);
        device.speed = 0.5 + 1.5 * random.nextUniform();
        problem.devices.push_back(device);
        if (d > 0)
            problem.links.push_back({1e9 * (1.0 + 9.0 * random.nextUniform()), 1e-5});
    }
    std::printf("%d units, %d devices\n%-10s %12s %16s\n", units, devices, "partitioner", "median ms", "bottleneck ms");
    for (const std::string& name : lpm::partitionerNames()) {
        std::vector<double> times;
        double bottleneck = 0.0;
        for (int run = 0; run < 5; ++run) {
            const auto start = std::chrono::steady_clock::now();
            const lpm::Partition partition = lpm::planPartition(name, problem);
            times.push_back(
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
            bottleneck = lpm::bottleneckSeconds(problem, partition);
        }
        std::sort(times.begin(), times.end());
        std::printf("%-10s %12.3f %16.4f\n", name.c_str(), times[2], bottleneck * 1e3);
    }

    const auto buildStart = std::chrono::steady_clock::now();
    const lpm::Schedule schedule = lpm::buildSchedule("1f1b", simStages, simMicroBatches);
    const auto simulateStart = std::chrono::steady_clock::now();
    const lpm::SimulationResult result = lpm::simulateSchedule(
        schedule, std::vector<lpm::StageTimes>(size_t(simStages), lpm::StageTimes{1e-3, 2e-3, 1e-4, 0.0, 1e-4}));
    const auto end = std::chrono::steady_clock::now();
    std::printf("\nsimulate 1f1b, %d stages x %d micro-batches: build %.1f ms, simulate %.1f ms "
                "(%zu events, bubble %.3f)\n",
                simStages, simMicroBatches,
                std::chrono::duration<double, std::milli>(simulateStart - buildStart).count(),
                std::chrono::duration<double, std::milli>(end - simulateStart).count(), result.timeline.events.size(),
                result.bubbleFraction);

    lpm::Plan plan;
    plan.model = "vgg-mini";
    plan.deviceSpec = "catalog:H100x8";
    plan.partitioner = "lpm";
    plan.schedule = "lpm";
    plan.batch = 256;
    plan.microBatches = 16;
    plan.devices = lpm::planDevices(lpm::parseDeviceSet(plan.deviceSpec), lpm::HostDevices{});
    plan.costs = lpm::describeModelCosts(lpm::buildModel(plan.model), plan.microBatchSize());
    plan.costs.devices.push_back(lpm::estimateDeviceCosts(plan.costs, lpm::catalogDevice("H100")));
    std::vector<double> times;
    double speedup = 0.0;
    for (int run = 0; run < 21; ++run) {
        const auto start = std::chrono::steady_clock::now();
        lpm::partitionPlanPredicted(plan);
        speedup = lpm::predictPlan(plan).speedup;
        times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    std::printf("\nplan and predict vgg-mini on catalog:H100x8, 16 micro-batches: %.3f ms (speedup %.2fx)\n", times[10],
                speedup);
    return 0;
}
