#include "plan/cost_sources.h"

#include "backend/cpu/cpu_backend.h"
#include "devices/host_devices.h"
#include "nn/model_zoo.h"
#include "plan/plan.h"

namespace lpm {

ModelCosts describeZooModelCosts(const std::string& model, int64_t microBatchSize)
{
    return describeModelCosts(buildModel(model), microBatchSize);
}

void addCatalogEstimates(ModelCosts& costs, const DeviceSet& set)
{
    for (const DeviceSlot& slot : set.stageSlots)
        if ((slot.kind == DeviceKind::Catalog || slot.kind == DeviceKind::Cuda) && !slot.catalogId.empty()
            && !costs.find(slot.catalogId))
            costs.devices.push_back(estimateDeviceCosts(costs, catalogDevice(slot.catalogId)));
}

bool needsCpuProfile(const ModelCosts& costs, const DeviceSet& set)
{
    for (const DeviceSlot& slot : set.stageSlots)
        if (slot.kind == DeviceKind::Cpu)
            return costs.find("cpu") == nullptr;
    return false;
}

DeviceCosts profileCpuCosts(const std::string& model, int64_t microBatchSize, const ProfileProgress& progress,
                            int threads)
{
    Model built = buildModel(model);
    CpuBackend backend(threads); // one CPU stage is one core, a replicated one `threads`
    ProfileOptions options;
    options.microBatchSize = microBatchSize;
    options.device = replicatedCostsDevice(threads);
    options.deviceDescription =
        discoverHostDevices().cpuName + ", " + std::to_string(threads) + (threads == 1 ? " thread" : " threads");
    return profileModel(backend, built, options, progress).devices.front();
}

std::vector<int> missingReplicaCosts(const ModelCosts& costs, const std::vector<int>& threadCounts)
{
    std::vector<int> missing;
    for (int threads : threadCounts)
        if (threads > 1 && costs.find(replicatedCostsDevice(threads)) == nullptr)
            missing.push_back(threads);
    return missing;
}

} // namespace lpm
