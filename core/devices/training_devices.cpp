#include "devices/training_devices.h"

#include "tensor/error.h"

namespace lpm {

namespace {

std::string backendOf(const DeviceSlot& slot)
{
    return slot.kind == DeviceKind::Cuda ? "cuda:" + std::to_string(slot.ordinal) : "cpu";
}

} // namespace

void requireTrainableDevices(const DeviceSet& set)
{
    if (set.stageSlots.empty())
        throw InvalidArgument("devices '" + set.spec + "' name no stage to train on");
    const DeviceSlot& first = set.stageSlots.front();
    for (const DeviceSlot& slot : set.stageSlots) {
        if (slot.kind == DeviceKind::Catalog)
            throw InvalidArgument("device " + slot.label
                                  + ": catalogue devices are for planning; train on CPU "
                                    "stages (cpu:N) or on local GPUs (cuda:KxN, cuda:0,1)");
        if (slot.kind != first.kind)
            throw InvalidArgument("devices " + set.spec
                                  + ": a run trains on CPU stages only or on GPU stages only, "
                                    "not on both");
    }
}

std::string trainingBackendFor(const DeviceSet& set)
{
    requireTrainableDevices(set);
    return backendOf(set.stageSlots.front());
}

std::vector<std::string> stageBackendsFor(const DeviceSet& set)
{
    requireTrainableDevices(set);
    std::vector<std::string> backends;
    for (const DeviceSlot& slot : set.stageSlots)
        backends.push_back(backendOf(slot));
    return backends;
}

} // namespace lpm
