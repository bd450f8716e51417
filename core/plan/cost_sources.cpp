#include "plan/cost_sources.h"

#include "backend/cpu/cpu_backend.h"
#include "devices/host_devices.h"
#include "nn/model_zoo.h"

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

DeviceCosts profileCpuCosts(const std::string& model, int64_t microBatchSize, const ProfileProgress& progress)
{
    Model built = buildModel(model);
    CpuBackend backend(1); // one CPU stage is one core
    ProfileOptions options;
    options.microBatchSize = microBatchSize;
    options.device = "cpu";
    options.deviceDescription = discoverHostDevices().cpuName + ", 1 thread";
    return profileModel(backend, built, options, progress).devices.front();
}

} // namespace lpm
