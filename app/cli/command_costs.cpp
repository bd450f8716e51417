#include "cli/command_costs.h"

#include <chrono>
#include <cstdio>

#include "backend/cpu/cpu_backend.h"
#include "cli/progress_bar.h"
#include "devices/host_devices.h"
#include "graph/model_source.h"
#include "io/whole_file.h"
#include "nn/model_zoo.h"
#include "plan/cost_sources.h"
#include "plan/plan.h"
#include "plan/plan_json.h"
#include "tensor/error.h"

namespace lpm::cli {

ModelCosts profileOnBackend(Backend& backend, const std::string& model, const ProfileOptions& options, bool quiet)
{
    Model built = buildModel(model);
    ProgressBar bar(stderr);
    const auto start = std::chrono::steady_clock::now();
    auto progress = [&](int done, int total) {
        if (quiet)
            return;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        bar.update({done, total, elapsed, "profiling " + model + ", forward and backward rounds"});
    };
    ModelCosts costs;
    try {
        costs = profileModel(backend, built, options, progress);
    } catch (...) {
        bar.finish();
        throw;
    }
    bar.finish();
    return costs;
}

ModelCosts profileOnCpu(const std::string& model, const ProfileOptions& options, bool quiet, int threads)
{
    CpuBackend backend(threads); // one CPU stage is one core, a replicated one `threads`
    ProfileOptions cpu = options;
    cpu.device = replicatedCostsDevice(threads);
    cpu.deviceDescription =
        discoverHostDevices().cpuName + ", " + std::to_string(threads) + (threads == 1 ? " thread" : " threads");
    return profileOnBackend(backend, model, cpu, quiet);
}

ModelCosts costsForDevices(const std::string& model, const DeviceSet& set, int64_t microBatchSize,
                           const std::string& costsFile, bool quiet, const std::vector<int>& replicaThreads)
{
    ModelCosts costs;
    if (!costsFile.empty()) {
        costs = costsFromJson(readWholeFile(costsFile, "costs file"), costsFile);
        if (costs.model != model)
            throw FileError(costsFile + ": costs are for model '" + costs.model + "', not '" + model + "'");
        if (costs.microBatchSize != microBatchSize && !quiet)
            std::fprintf(stderr, "note: %s was taken at micro-batch %lld; times are scaled linearly to %lld\n",
                         costsFile.c_str(), static_cast<long long>(costs.microBatchSize),
                         static_cast<long long>(microBatchSize));
    } else {
        costs = describeAnyModelCosts(model, microBatchSize);
    }
    addCatalogEstimates(costs, set);
    if (isOnnxModelName(model) && (needsCpuProfile(costs, set) || !missingReplicaCosts(costs, replicaThreads).empty()))
        try {
            buildModel(model); // profiling trains the units: an imported model must be trainable
        } catch (const Error& error) {
            throw InvalidArgument(std::string(error.what())
                                  + "; so it cannot be profiled on this CPU: plan it for catalogue devices (e.g. "
                                    "--devices catalog:V100x4) or pass --costs");
        }
    if (needsCpuProfile(costs, set)) {
        requireProfilable(model, "cpu");
        if (!quiet)
            std::fprintf(stderr,
                         "profiling %s on this CPU at micro-batch %lld (save a profile with "
                         "`lpm profile` and pass --costs to skip this)\n",
                         model.c_str(), static_cast<long long>(costs.microBatchSize));
        ProfileOptions options;
        options.microBatchSize = costs.microBatchSize;
        costs.devices.push_back(profileOnCpu(model, options, quiet).devices.front());
    }
    for (int threads : missingReplicaCosts(costs, replicaThreads)) {
        if (!quiet)
            std::fprintf(stderr, "profiling %s on %d cores of this CPU, for stages replicated on them\n", model.c_str(),
                         threads);
        ProfileOptions options;
        options.microBatchSize = costs.microBatchSize;
        costs.devices.push_back(profileOnCpu(model, options, quiet, threads).devices.front());
    }
    return costs;
}

} // namespace lpm::cli
