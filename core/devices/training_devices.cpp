#include "devices/training_devices.h"

#include "tensor/error.h"

namespace lpm {

void requireTrainableDevices(const DeviceSet& set)
{
    if (set.stageSlots.empty())
        throw InvalidArgument("devices '" + set.spec + "' name no stage to train on");
    const DeviceSlot& first = set.stageSlots.front();
    for (const DeviceSlot& slot : set.stageSlots) {
        if (slot.kind == DeviceKind::Catalog)
            throw InvalidArgument("device " + slot.label + ": catalogue devices are for planning; train on CPU "
                                  "stages (cpu:N) or on the stages of one local GPU (cuda:KxN)");
        if (slot.kind != first.kind || (slot.kind == DeviceKind::Cuda && slot.ordinal != first.ordinal))
            throw InvalidArgument("devices " + set.spec + ": a run trains on CPU stages only or on stages of one "
                                  "GPU only (cuda:KxN); stages on several GPUs are not available yet");
    }
}

std::string trainingBackendFor(const DeviceSet& set)
{
    requireTrainableDevices(set);
    const DeviceSlot& first = set.stageSlots.front();
    return first.kind == DeviceKind::Cuda ? "cuda:" + std::to_string(first.ordinal) : "cpu";
}

} // namespace lpm
