// Where plans get unit costs, by model name (no tensors in the interface):
// the zoo model's own figures, the catalogue's data-sheet estimates, and a
// profile taken now on one CPU core. The CLI and the GUI both use these.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "devices/device_set.h"
#include "plan/cost_model.h"
#include "plan/profiler.h"

namespace lpm {

// describeModelCosts of zoo model `model`; throws InvalidArgument for an
// unknown model or a micro-batch size below 1.
ModelCosts describeZooModelCosts(const std::string& model, int64_t microBatchSize);

// Adds catalogue estimates for every catalogue device kind in `set` that
// `costs` has no times for.
void addCatalogEstimates(ModelCosts& costs, const DeviceSet& set);

// True when `set` has CPU stages and `costs` has no "cpu" times yet.
bool needsCpuProfile(const ModelCosts& costs, const DeviceSet& set);

// Profiles zoo model `model` on `threads` cores of this machine (a CPU
// backend of that many threads) at `microBatchSize`: the DeviceCosts of
// replicatedCostsDevice(threads) ("cpu" for one core).
DeviceCosts profileCpuCosts(const std::string& model, int64_t microBatchSize, const ProfileProgress& progress = {},
                            int threads = 1);

// Of `threadCounts`, those whose "cpu*r" costs `costs` lacks (a stage
// replicated on r cores is timed by them).
std::vector<int> missingReplicaCosts(const ModelCosts& costs, const std::vector<int>& threadCounts);

} // namespace lpm
