// Shared fixtures of the GUI tests: designs that need no CPU profile
// (catalogue devices, estimated costs) and a fake CPU profile.
#pragma once

#include <string>

#include "devices/device_set.h"
#include "plan/cost_sources.h"
#include "sim/prediction.h"
#include "train/design.h"

namespace lpm::gui::testing {

// `model` on catalogue GPUs, partitioned by lpm (with the simulator), synthetic data.
inline Design catalogDesign(const std::string& model = "vgg-mini", const std::string& devices = "catalog:H100x4",
                            const std::string& schedule = "1f1b")
{
    const DeviceSet set = parseDeviceSet(devices);
    Design design;
    Plan& plan = design.plan;
    plan.model = model;
    plan.deviceSpec = set.spec;
    plan.partitioner = "lpm";
    plan.schedule = schedule;
    plan.batch = 64;
    plan.microBatches = 8;
    plan.devices = planDevices(set, HostDevices{});
    plan.costs = describeZooModelCosts(model, plan.microBatchSize());
    addCatalogEstimates(plan.costs, set);
    partitionPlanPredicted(plan); // as the design model's Auto-merge does
    design.training.dataset = "synthetic";
    design.training.steps = 20;
    return design;
}

// A made-up CPU profile of `units` units: 1 ms forward, 2 ms backward each
// on one core; on `threads` cores ("cpu*2") those times divided by `speedup`.
inline DeviceCosts fakeCpuCosts(int units, int threads = 1, double speedup = 1.0)
{
    DeviceCosts costs;
    costs.device = threads == 1 ? "cpu" : "cpu*" + std::to_string(threads);
    costs.source = "test";
    costs.units.assign(size_t(units), UnitTimes{1e-3 / speedup, 2e-3 / speedup});
    costs.updateSecondsPerParameter = 1e-9;
    return costs;
}

} // namespace lpm::gui::testing
