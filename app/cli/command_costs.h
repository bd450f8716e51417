// Where the commands get unit costs, saying on stderr what they do: the
// profiler on this machine's CPU, the catalogue's data-sheet estimates, or a
// costs file from `lpm profile` (core/plan/cost_sources.h does the work).
#pragma once

#include <string>
#include <vector>

#include "devices/device_set.h"
#include "plan/cost_model.h"
#include "plan/profiler.h"

namespace lpm::cli {

// Profiles zoo model `model` on `backend` (options.device names the costs),
// with a progress line on stderr unless `quiet`.
ModelCosts profileOnBackend(Backend& backend, const std::string& model, const ProfileOptions& options, bool quiet);
// The same on `threads` CPU cores (device "cpu", or "cpu*r" for r threads).
ModelCosts profileOnCpu(const std::string& model, const ProfileOptions& options, bool quiet, int threads = 1);

// Costs of `model` for every kind of device in `set`: those in `costsFile`
// (when given; it must be for the same model), then catalogue estimates and,
// for CPU stages, a profile taken now (said on stderr), and one on r cores
// for each r of `replicaThreads` above 1 the costs lack (stages replicated
// on r cores). Times are at `microBatchSize` unless the file fixes another size.
ModelCosts costsForDevices(const std::string& model, const DeviceSet& set, int64_t microBatchSize,
                           const std::string& costsFile, bool quiet, const std::vector<int>& replicaThreads = {});

} // namespace lpm::cli
