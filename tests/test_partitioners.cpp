// Partitioners: optimal against brute force on every small instance, the
// baselines' shapes, memory limits and edge cases.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>

#include "expect_error.h"
#include "plan/lpm_partitioner.h"
#include "plan/partitioners.h"
#include "tensor/random.h"

namespace lpm {
namespace {

// A seeded heterogeneous instance. With `tightMemory`, capacities are drawn
// around what one stage of a few units needs, so some cuts (or all) do not fit.
PartitionProblem randomProblem(int units, int devices, uint64_t seed, bool tightMemory)
{
    RandomStream random(seed);
    PartitionProblem problem;
    for (int u = 0; u < units; ++u) {
        const bool free = random.nextUniform() < 0.15f; // zero-cost units (Flatten)
        problem.unitSeconds.push_back(free ? 0.0 : 1e-3 * (0.1 + random.nextUniform()));
        problem.outputBytes.push_back(int64_t(1e5 * random.nextUniform()));
        problem.staticBytes.push_back(int64_t(1e6 * random.nextUniform()));
        problem.savedBytes.push_back(int64_t(1e5 * random.nextUniform()));
    }
    for (int d = 0; d < devices; ++d) {
        PlanDevice device;
        device.name = std::string(1, 'd') + std::to_string(d);
        device.speed = 0.5 + 1.5 * random.nextUniform();
        if (tightMemory)
            device.memoryBytes = int64_t(1e6 * (0.5 + 3.0 * random.nextUniform()));
        problem.devices.push_back(device);
        if (d > 0)
            problem.links.push_back({1e8 * (1.0 + 99.0 * random.nextUniform()), 1e-5 * random.nextUniform()});
    }
    problem.inflightMicroBatches = 1 + int64_t(random.nextBelow(4));
    return problem;
}

struct BruteForceResult {
    double bottleneck = std::numeric_limits<double>::infinity();
    bool feasible = false;
};

// Every cut of the units into 1..min(p, n) non-empty contiguous stages.
BruteForceResult bruteForce(const PartitionProblem& problem)
{
    BruteForceResult result;
    const int n = problem.unitCount();
    const int p = std::min(problem.deviceCount(), n);
    Partition partition;
    std::function<void(int)> extend = [&](int first) {
        if (first == n) {
            if (fitsInMemory(problem, partition)) {
                result.feasible = true;
                result.bottleneck = std::min(result.bottleneck, bottleneckSeconds(problem, partition));
            }
            return;
        }
        if (int(partition.size()) == p)
            return;
        for (int last = first; last < n; ++last) {
            partition.push_back({first, last, int(partition.size())});
            extend(last + 1);
            partition.pop_back();
        }
    };
    extend(0);
    return result;
}

void expectValidPartition(const PartitionProblem& problem, const Partition& partition)
{
    ASSERT_FALSE(partition.empty());
    ASSERT_LE(int(partition.size()), std::min(problem.unitCount(), problem.deviceCount()));
    int next = 0;
    for (size_t k = 0; k < partition.size(); ++k) {
        EXPECT_EQ(partition[k].first, next);
        EXPECT_GE(partition[k].last, partition[k].first);
        EXPECT_EQ(partition[k].device, int(k));
        next = partition[k].last + 1;
    }
    EXPECT_EQ(next, problem.unitCount());
    EXPECT_TRUE(fitsInMemory(problem, partition));
}

TEST(Partitioners, OptimalEqualsBruteForceOnEverySmallInstance)
{
    int instances = 0, infeasible = 0;
    for (int n = 1; n <= 10; ++n)
        for (int p = 1; p <= 4; ++p)
            for (uint64_t seed = 0; seed < 12; ++seed) {
                const bool tight = seed % 3 == 2;
                const PartitionProblem problem = randomProblem(n, p, seed * 100 + n * 10 + p, tight);
                const BruteForceResult expected = bruteForce(problem);
                ++instances;
                if (!expected.feasible) {
                    ++infeasible;
                    expectError<InvalidArgument>([&] { partitionOptimal(problem); },
                                                 {"does not fit in memory", "bytes"});
                    continue;
                }
                const Partition partition = partitionOptimal(problem);
                expectValidPartition(problem, partition);
                EXPECT_NEAR(bottleneckSeconds(problem, partition), expected.bottleneck,
                            1e-12 + 1e-9 * expected.bottleneck)
                    << "n " << n << " p " << p << " seed " << seed;
            }
    EXPECT_EQ(instances, 10 * 4 * 12);
    EXPECT_GT(infeasible, 0); // the tight instances exercise the memory limit
    EXPECT_LT(infeasible, instances / 3);
}

TEST(Partitioners, BaselinesAreValidAndNeverBeatOptimal)
{
    for (uint64_t seed = 0; seed < 50; ++seed) {
        const PartitionProblem problem = randomProblem(5 + int(seed % 40), 1 + int(seed % 8), seed, false);
        const double best = bottleneckSeconds(problem, partitionOptimal(problem));
        for (const char* name : {"uniform", "balanced", "lpm"}) {
            const Partition partition = planPartition(name, problem);
            expectValidPartition(problem, partition);
            EXPECT_GE(bottleneckSeconds(problem, partition), best * (1 - 1e-12)) << name;
        }
    }
}

// DESIGN §1.3's promise for the lpm partitioner, on 1,000 seeded random
// heterogeneous instances (1–64 units, 1–8 devices): within 5 % of optimal's
// bottleneck on at least 95 % of them, at least as good as balanced on 99 %.
TEST(Partitioners, LpmStaysCloseToOptimal)
{
    constexpr int kInstances = 1000;
    int withinFivePercent = 0, atLeastBalanced = 0;
    std::vector<double> ratios;
    for (int instance = 0; instance < kInstances; ++instance) {
        RandomStream shape(1000 + uint64_t(instance));
        const int units = 1 + int(shape.nextBelow(64)), devices = 1 + int(shape.nextBelow(8));
        const PartitionProblem problem = randomProblem(units, devices, uint64_t(instance), false);
        const Partition partition = partitionLpm(problem);
        expectValidPartition(problem, partition);
        const double lpm = bottleneckSeconds(problem, partition);
        const double optimal = bottleneckSeconds(problem, partitionOptimal(problem));
        const double balanced = bottleneckSeconds(problem, partitionBalanced(problem));
        ratios.push_back(optimal > 0.0 ? lpm / optimal : 1.0);
        withinFivePercent += lpm <= optimal * 1.05 + 1e-15;
        atLeastBalanced += lpm <= balanced * (1.0 + 1e-12) + 1e-15;
    }
    std::sort(ratios.begin(), ratios.end());
    std::printf("lpm / optimal bottleneck over %d instances: median %.4f, 95th %.4f, 99th %.4f, "
                "max %.4f; within 5%%: %d; at least as good as balanced: %d\n",
                kInstances, ratios[kInstances / 2], ratios[kInstances * 95 / 100], ratios[kInstances * 99 / 100],
                ratios.back(), withinFivePercent, atLeastBalanced);
    EXPECT_GE(withinFivePercent, kInstances * 95 / 100);
    EXPECT_GE(atLeastBalanced, kInstances * 99 / 100);
}

TEST(Partitioners, LpmRespectsMemoryAndUsesFewerStagesWhenTransfersDominate)
{
    // Memory: the same instance as MemoryLimitsAreNamed.
    PartitionProblem problem = randomProblem(4, 2, 7, false);
    std::fill(problem.staticBytes.begin(), problem.staticBytes.end(), 1000);
    std::fill(problem.savedBytes.begin(), problem.savedBytes.end(), 0);
    problem.devices[0].memoryBytes = 1500;
    problem.devices[1].memoryBytes = 3000;
    const Partition fitted = partitionLpm(problem);
    EXPECT_TRUE(fitsInMemory(problem, fitted));
    problem.devices[1].memoryBytes = 2500;
    expectError<InvalidArgument>([&] { partitionLpm(problem); }, {"lpm", "more than its"});
    // A slow link and large activations: one stage beats any cut (step 5).
    PartitionProblem chatty = randomProblem(10, 4, 9, false);
    for (PlanLink& link : chatty.links)
        link.bandwidthBytesPerSecond = 1e3;
    EXPECT_EQ(partitionLpm(chatty).size(), 1u);
}

TEST(Partitioners, UniformSplitsUnitCountsEvenly)
{
    PartitionProblem problem = randomProblem(10, 4, 1, false);
    const Partition partition = partitionUniform(problem);
    ASSERT_EQ(partition.size(), 4u);
    EXPECT_EQ(partition[0].last - partition[0].first + 1, 3);
    EXPECT_EQ(partition[1].last - partition[1].first + 1, 3);
    EXPECT_EQ(partition[2].last - partition[2].first + 1, 2);
    EXPECT_EQ(partition[3].last - partition[3].first + 1, 2);
}

TEST(Partitioners, BalancedGivesFasterDevicesMoreWork)
{
    PartitionProblem problem = randomProblem(12, 2, 2, false);
    std::fill(problem.unitSeconds.begin(), problem.unitSeconds.end(), 1e-3);
    problem.devices[0].speed = 1.0;
    problem.devices[1].speed = 1.0;
    Partition even = partitionBalanced(problem);
    ASSERT_EQ(even.size(), 2u);
    EXPECT_EQ(even[0].last, 5); // 6 + 6
    problem.devices[1].speed = 2.0;
    Partition skewed = partitionBalanced(problem);
    EXPECT_EQ(skewed[0].last, 3); // 4 units on the slow device, 8 on the fast one
}

TEST(Partitioners, EdgeCases)
{
    // One unit, several devices: one stage.
    PartitionProblem single = randomProblem(1, 3, 3, false);
    for (const std::string& name : partitionerNames())
        EXPECT_EQ(planPartition(name, single).size(), 1u) << name;
    // One device: everything on it.
    PartitionProblem lone = randomProblem(7, 1, 4, false);
    for (const std::string& name : partitionerNames()) {
        const Partition partition = planPartition(name, lone);
        ASSERT_EQ(partition.size(), 1u);
        EXPECT_EQ(partition[0].last, 6);
    }
    // More devices than units: at most one stage per unit.
    PartitionProblem wide = randomProblem(3, 6, 5, false);
    for (const std::string& name : partitionerNames())
        EXPECT_LE(planPartition(name, wide).size(), 3u) << name;
    // Zero-cost units everywhere: any cut has a bottleneck of pure communication.
    PartitionProblem idle = randomProblem(5, 2, 6, false);
    std::fill(idle.unitSeconds.begin(), idle.unitSeconds.end(), 0.0);
    EXPECT_EQ(bottleneckSeconds(idle, partitionOptimal(idle)), 0.0); // one stage, no transfer
}

TEST(Partitioners, MemoryLimitsAreNamed)
{
    PartitionProblem problem = randomProblem(4, 2, 7, false);
    std::fill(problem.staticBytes.begin(), problem.staticBytes.end(), 1000);
    std::fill(problem.savedBytes.begin(), problem.savedBytes.end(), 0);
    problem.devices[0].memoryBytes = 1500; // one unit fits, two do not
    problem.devices[1].memoryBytes = 3000; // three units fit
    const Partition partition = partitionOptimal(problem);
    ASSERT_EQ(partition.size(), 2u);
    EXPECT_EQ(partition[0].last, 0);
    // Uniform puts two units on device 0: 500 bytes over.
    expectError<InvalidArgument>([&] { partitionUniform(problem); },
                                 {"uniform", "stage 0", "device 0 (d0)", "2000 bytes", "500 more"});
    problem.devices[1].memoryBytes = 2500; // now nothing fits
    expectError<InvalidArgument>([&] { partitionOptimal(problem); }, {"optimal", "more than its"});
}

TEST(Partitioners, BadProblemsAndNamesAreClearErrors)
{
    PartitionProblem problem = randomProblem(4, 2, 8, false);
    problem.outputBytes.pop_back();
    expectError<InvalidArgument>([&] { partitionOptimal(problem); }, {"outputBytes", "3 entries", "expected 4"});
    problem = randomProblem(4, 2, 8, false);
    problem.weightGradientBytes = {1, 2}; // (empty means none; otherwise one per unit)
    expectError<InvalidArgument>([&] { partitionOptimal(problem); },
                                 {"weightGradientBytes", "2 entries", "expected 4"});
    problem.weightGradientBytes = {1, -2, 3, 4};
    expectError<InvalidArgument>([&] { partitionOptimal(problem); }, {"weightGradientBytes must not be negative"});
    problem.weightGradientBytes.clear();
    problem.awaitingWeightMicroBatches = -1;
    expectError<InvalidArgument>([&] { partitionOptimal(problem); },
                                 {"awaitingWeightMicroBatches must not be negative"});
    problem = randomProblem(4, 2, 8, false);
    problem.links.clear();
    expectError<InvalidArgument>([&] { partitionBalanced(problem); }, {"links"});
    expectError<InvalidArgument>([&] { planPartition("greedy", randomProblem(4, 2, 8, false)); },
                                 {"greedy", "lpm, optimal, balanced, uniform"});
    expectError<InvalidArgument>([&] { partitionUniform(PartitionProblem{}); }, {"no units"});
    problem = randomProblem(4, 2, 8, false);
    problem.devices.clear();
    expectError<InvalidArgument>([&] { partitionUniform(problem); }, {"no devices"});
    problem = randomProblem(4, 2, 8, false);
    problem.unitSeconds[2] = -1.0;
    expectError<InvalidArgument>([&] { partitionOptimal(problem); }, {"unit 2", "negative or invalid cost"});
    problem = randomProblem(4, 2, 8, false);
    problem.devices[1].speed = 0.0;
    expectError<InvalidArgument>([&] { partitionLpm(problem); }, {"device d1", "positive speed"});
    problem = randomProblem(4, 2, 8, false);
    problem.links[0].bandwidthBytesPerSecond = 0.0;
    expectError<InvalidArgument>([&] { partitionBalanced(problem); }, {"positive bandwidth"});
    problem = randomProblem(4, 2, 8, false);
    problem.inflightMicroBatches = 0;
    expectError<InvalidArgument>([&] { partitionOptimal(problem); }, {"inflightMicroBatches"});
}

} // namespace
} // namespace lpm
