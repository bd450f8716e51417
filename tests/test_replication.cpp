// Stage replication on CPU cores (plan.h, sim/replication_choice.h): the
// grouping of cores into replicated entries and back, the candidates the
// planner searches and its choice, plan files with replicas, and the
// schedule choice's replicated candidates.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "devices/device_catalog.h"
#include "expect_error.h"
#include "plan/plan.h"
#include "plan/plan_json.h"
#include "sim/prediction.h"
#include "sim/replication_choice.h"
#include "sim/schedule_choice.h"

namespace lpm {
namespace {

constexpr int64_t kCoreMemory = int64_t(1) << 30;

// `cores` CPU cores as planDevices gives them ("cpu:0".., hostMemoryLink between neighbours).
std::vector<PlanDeviceEntry> cpuCores(int cores)
{
    std::vector<PlanDeviceEntry> devices;
    for (int c = 0; c < cores; ++c) {
        PlanDeviceEntry core;
        core.label = "cpu:" + std::to_string(c);
        core.costsDevice = "cpu";
        core.memoryBytes = kCoreMemory;
        if (c + 1 < cores)
            core.linkToNext = hostMemoryLink();
        devices.push_back(std::move(core));
    }
    return devices;
}

// Three units on `cores` cores: unit 0 takes six times as long as each of
// the others on one core (a convolution stage that no cut can balance), and
// a team of r cores runs every unit r times faster ("cpu*r" costs for r up
// to `cores`).
Plan heavyFirstUnitPlan(int cores, const std::string& schedule = "lpm")
{
    Plan plan;
    plan.model = "heavy-first";
    plan.deviceSpec = "cpu:" + std::to_string(cores);
    plan.partitioner = "optimal";
    plan.schedule = schedule;
    plan.batch = 64;
    plan.microBatches = 4;
    plan.costs.model = plan.model;
    plan.costs.microBatchSize = 16;
    plan.costs.units.assign(3, UnitCost{1.0, 2.0, 40, 100, 10, 1, 1.0});
    for (int r = 1; r <= cores; ++r) {
        const double scale = 1.0 / r;
        plan.costs.devices.push_back({replicatedCostsDevice(r),
                                      "test",
                                      {UnitTimes{6e-3 * scale, 12e-3 * scale}, UnitTimes{1e-3 * scale, 2e-3 * scale},
                                       UnitTimes{1e-3 * scale, 2e-3 * scale}},
                                      0.0});
    }
    plan.devices = cpuCores(cores);
    return plan;
}

TEST(Replication, CoresAreGroupedIntoReplicatedEntriesAndBack)
{
    EXPECT_EQ(replicatedCostsDevice(1), "cpu");
    EXPECT_EQ(replicatedCostsDevice(3), "cpu*3");
    const std::vector<PlanDeviceEntry> groups = replicatedDevices(cpuCores(4), {2, 1, 1});
    ASSERT_EQ(groups.size(), 3u);
    EXPECT_EQ(groups[0].label, "cpu:0-1");
    EXPECT_EQ(groups[0].costsDevice, "cpu*2");
    EXPECT_EQ(groups[0].replicas, 2);
    EXPECT_EQ(groups[0].memoryBytes, 2 * kCoreMemory);
    EXPECT_EQ(groups[0].linkToNext.name, hostMemoryLink().name);
    EXPECT_EQ(groups[1].label, "cpu:2");
    EXPECT_EQ(groups[1].costsDevice, "cpu");
    EXPECT_EQ(groups[2].label, "cpu:3");
    EXPECT_TRUE(groups[2].linkToNext.name.empty()); // the last core's: none onwards

    Plan plan = heavyFirstUnitPlan(4);
    plan.devices = groups;
    EXPECT_TRUE(replicatesStages(plan));
    const std::vector<PlanDeviceEntry> cores = physicalDevices(plan);
    ASSERT_EQ(cores.size(), 4u);
    for (int c = 0; c < 4; ++c) {
        EXPECT_EQ(cores[size_t(c)].label, "cpu:" + std::to_string(c));
        EXPECT_EQ(cores[size_t(c)].costsDevice, "cpu");
        EXPECT_EQ(cores[size_t(c)].memoryBytes, kCoreMemory);
        EXPECT_EQ(cores[size_t(c)].replicas, 1);
    }
    EXPECT_GT(cores[0].linkToNext.bytesPerSecond, 0.0); // within the group: between two cores
    EXPECT_EQ(withSchedule(plan, "1f1b").devices.size(), 4u);
}

TEST(Replication, BadGroupingsAreClearErrors)
{
    expectError<InvalidArgument>(
        [] {
            replicatedDevices(cpuCores(4), {2, 1});
        },
        {"3 devices asked for, the set has 4"});
    expectError<InvalidArgument>([] { replicatedDevices(cpuCores(2), {2, 0}); }, {"at least 1 per stage, got 0"});
    std::vector<PlanDeviceEntry> gpus = cpuCores(2);
    gpus[1].label = "H100#1";
    gpus[1].costsDevice = "H100";
    expectError<InvalidArgument>([&] { replicatedDevices(gpus, {2}); },
                                 {"H100#1 is not a CPU core of its own", "over GPUs is not available yet"});
    expectError<InvalidArgument>([] { equalReplicas(6, 4); }, {"--replicas 4 does not divide the 6 devices"});
    EXPECT_EQ(equalReplicas(6, 3), (std::vector<int>{3, 3}));
}

TEST(Replication, TheSearchTriesEveryGroupingOfFewCoresAndEqualGroupsOfMany)
{
    EXPECT_EQ(replicationCandidates(1), (std::vector<std::vector<int>>{{1}}));
    const std::vector<std::vector<int>> three = replicationCandidates(3);
    EXPECT_EQ(three.front(), (std::vector<int>{1, 1, 1})); // no replication first
    EXPECT_THAT(three, testing::UnorderedElementsAre(std::vector<int>{1, 1, 1}, std::vector<int>{2, 1},
                                                     std::vector<int>{1, 2}, std::vector<int>{3}));
    EXPECT_EQ(replicationCandidates(kFullReplicationSearchCores).size(), size_t(1)
                                                                             << (kFullReplicationSearchCores - 1));
    EXPECT_THAT(replicationCandidates(12),
                testing::ElementsAre(std::vector<int>(12, 1), std::vector<int>(6, 2), std::vector<int>(4, 3),
                                     std::vector<int>(3, 4), std::vector<int>(2, 6), std::vector<int>{12}));
    EXPECT_EQ(replicationThreadCounts(3), (std::vector<int>{2, 3}));
    EXPECT_EQ(replicationThreadCounts(12), (std::vector<int>{2, 3, 4, 6, 12}));
}

TEST(Replication, ThePlannerReplicatesTheStageThatNoCutBalances)
{
    for (const char* schedule : {"lpm", "1f1b", "zb-h1"}) {
        SCOPED_TRACE(schedule);
        Plan plain = heavyFirstUnitPlan(3, schedule);
        partitionPlanPredicted(plain);
        const double plainSeconds = predictPlan(plain).iterationSeconds;

        Plan replicated = heavyFirstUnitPlan(3, schedule);
        chooseReplication(replicated);
        validatePlan(replicated);
        ASSERT_FALSE(replicated.stages.empty());
        // Unit 0 takes 6 of the model's 8 parts: its stage gets more than one core.
        EXPECT_GT(replicated.stages.front().replicas, 1);
        EXPECT_EQ(replicated.stages.front().replicas, replicated.devices.front().replicas);
        EXPECT_LT(predictPlan(replicated).iterationSeconds, 0.9 * plainSeconds);
    }
    // Teams no faster than one core (a model too small to split): no replication.
    Plan small = heavyFirstUnitPlan(3);
    for (DeviceCosts& device : small.costs.devices)
        device.units = small.costs.devices.front().units;
    chooseReplication(small);
    EXPECT_FALSE(replicatesStages(small));
}

TEST(Replication, OnlyPipelinesOnCpuCoresAreReplicated)
{
    Plan dp = heavyFirstUnitPlan(2, "dp");
    expectError<InvalidArgument>([&] { chooseReplication(dp); }, {"dp does not replicate stages"});
    Plan gpus = heavyFirstUnitPlan(2);
    gpus.devices[0].costsDevice = "H100";
    gpus.costs.devices[0].device = "H100";
    expectError<InvalidArgument>([&] { chooseReplication(gpus); }, {"on CPU cores only", "not available yet"});
}

TEST(Replication, PlanFilesKeepReplicasAndCheckThem)
{
    Plan plan = heavyFirstUnitPlan(3);
    plan.devices = replicatedDevices(plan.devices, {2, 1});
    partitionPlan(plan);
    ASSERT_EQ(plan.stages.size(), 2u);
    EXPECT_EQ(plan.stages[0].replicas, 2);
    EXPECT_EQ(plan.stages[1].replicas, 1);
    const Plan loaded = planFromJson(planToJson(plan), "replicated.json");
    EXPECT_EQ(loaded.devices[0].replicas, 2);
    EXPECT_EQ(loaded.devices[0].label, "cpu:0-1");
    EXPECT_EQ(loaded.stages, plan.stages);

    // Plans written before replication have no "replicas": one core each.
    Plan unreplicated = heavyFirstUnitPlan(3);
    partitionPlan(unreplicated);
    std::string old = planToJson(unreplicated);
    for (size_t at = old.find("\"replicas\""); at != std::string::npos; at = old.find("\"replicas\""))
        old.erase(at, old.find('\n', at) - at + 1);
    EXPECT_EQ(old.find("replicas"), std::string::npos);
    EXPECT_FALSE(replicatesStages(planFromJson(old, "old.json")));

    Plan wrongCosts = plan;
    wrongCosts.devices[0].costsDevice = "cpu*3";
    expectError<InvalidArgument>([&] { validatePlan(wrongCosts); },
                                 {"cpu:0-1 has 2 replicas", "costs of 'cpu*2'", "not 'cpu*3'"});
    Plan wrongStage = plan;
    wrongStage.stages[0].replicas = 1;
    expectError<InvalidArgument>([&] { validatePlan(wrongStage); }, {"stage 0 has 1 replicas, its device cpu:0-1 2"});
    Plan dp = plan;
    dp.schedule = "dp";
    expectError<InvalidArgument>([&] { validatePlan(dp); },
                                 {"device cpu:0-1 replicates a stage, which dp does not do"});
    Plan zero = plan;
    zero.devices[1].replicas = 0;
    expectError<InvalidArgument>([&] { validatePlan(zero); }, {"replicas of at least 1"});
}

TEST(Replication, TheScheduleChoiceAddsReplicatedCandidatesOnCpuCores)
{
    Plan plan = heavyFirstUnitPlan(3);
    partitionPlanPredicted(plan);
    const ScheduleChoice choice = chooseSchedule(plan, false);
    int replicated = 0;
    for (const ScheduleCandidate& candidate : choice.candidates) {
        if (!candidate.replicated)
            continue;
        ++replicated;
        const ScheduleTraits traits = scheduleTraits(candidate.schedule);
        EXPECT_FALSE(traits.replicated || traits.interleaved) << candidate.schedule;
        EXPECT_FALSE(candidate.recompute);
    }
    EXPECT_GT(replicated, 0);
    ASSERT_GE(choice.chosen, 0);
    EXPECT_TRUE(choice.candidates[size_t(choice.chosen)].replicated); // the heavy unit decides it

    // Without the costs on several cores there is nothing to predict them with.
    Plan oneCore = plan;
    oneCore.costs.devices.resize(1);
    for (const ScheduleCandidate& candidate : chooseSchedule(oneCore, false).candidates)
        EXPECT_FALSE(candidate.replicated);
}

} // namespace
} // namespace lpm
