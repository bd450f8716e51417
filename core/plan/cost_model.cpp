#include "plan/cost_model.h"

#include <algorithm>
#include <cmath>

#include "nn/model.h"
#include "tensor/error.h"

namespace lpm {

const DeviceCosts* ModelCosts::find(const std::string& device) const
{
    for (const DeviceCosts& entry : devices)
        if (entry.device == device)
            return &entry;
    return nullptr;
}

const DeviceCosts& ModelCosts::at(const std::string& device) const
{
    if (const DeviceCosts* entry = find(device))
        return *entry;
    std::string known;
    for (const DeviceCosts& entry : devices)
        known += (known.empty() ? "" : ", ") + entry.device;
    throw InvalidArgument("costs of " + model + " have no times for device '" + device
                          + "' (they have: " + (known.empty() ? "none" : known) + ")");
}

ModelCosts describeModelCosts(const Model& model, int64_t microBatchSize)
{
    if (microBatchSize < 1)
        throw InvalidArgument("micro-batch size must be at least 1, got " + std::to_string(microBatchSize));
    ModelCosts costs;
    costs.model = model.name();
    costs.microBatchSize = microBatchSize;
    costs.inputBytesPerSample = int64_t(sizeof(float)) * model.sampleShape().elementCount();
    costs.units = model.unitCosts();
    return costs;
}

DeviceCosts estimateDeviceCosts(const ModelCosts& costs, const DeviceModel& device)
{
    const double flopRate = device.fp32FlopsPerSecond * kAchievedComputeFraction;
    const double byteRate = device.memoryBytesPerSecond * kAchievedMemoryFraction;
    const double b = double(costs.microBatchSize);
    DeviceCosts estimate;
    estimate.device = device.id;
    estimate.source = "estimated from the " + device.fullName + " data sheet";
    double inputBytes = double(costs.inputBytesPerSample);
    for (const UnitCost& unit : costs.units) {
        const double outputBytes = double(unit.outputBytes);
        const double parameters = double(unit.parameterBytes);
        // Forward reads input and weights, writes output; backward reads the
        // output gradient, what forward saved and the weights, writes the
        // input gradient and the weight gradients.
        const double forwardBytes = b * (inputBytes + outputBytes) + parameters;
        const double backwardBytes = b * (outputBytes + double(unit.savedBytes) + inputBytes) + 2 * parameters;
        UnitTimes times;
        const double overhead = unit.launches * kUnitOverheadSeconds;
        times.forwardSeconds = std::max(b * unit.forwardFlops / flopRate, forwardBytes / byteRate) + overhead;
        times.backwardSeconds = std::max(b * unit.backwardFlops / flopRate, backwardBytes / byteRate) + 2 * overhead;
        estimate.units.push_back(times);
        inputBytes = outputBytes;
    }
    estimate.updateSecondsPerParameter = kUpdateBytesPerParameter / byteRate;
    return estimate;
}

std::vector<UnitTimes> scaleUnitTimes(std::vector<UnitTimes> times, int64_t fromSize, int64_t toSize)
{
    const double scale = double(toSize) / double(fromSize);
    for (UnitTimes& unit : times) {
        unit.forwardSeconds *= scale;
        unit.backwardSeconds *= scale;
    }
    return times;
}

std::vector<UnitTimes> timesFor(const ModelCosts& costs, const std::string& device, int64_t microBatchSize)
{
    return scaleUnitTimes(costs.at(device).units, costs.microBatchSize, microBatchSize);
}

void validateModelCosts(const ModelCosts& costs)
{
    const std::string where = "costs of " + (costs.model.empty() ? std::string("?") : costs.model);
    if (costs.units.empty())
        throw InvalidArgument(where + ": no units");
    if (costs.microBatchSize < 1)
        throw InvalidArgument(where + ": micro_batch must be at least 1, got " + std::to_string(costs.microBatchSize));
    if (costs.inputBytesPerSample < 0)
        throw InvalidArgument(where + ": input_bytes must not be negative");
    for (size_t u = 0; u < costs.units.size(); ++u) {
        const UnitCost& unit = costs.units[u];
        if (!(unit.forwardFlops >= 0.0) || !(unit.backwardFlops >= 0.0) || !std::isfinite(unit.forwardFlops)
            || !std::isfinite(unit.backwardFlops) || unit.parameterBytes < 0 || unit.outputBytes < 0
            || unit.savedBytes < 0 || unit.launches < 0)
            throw InvalidArgument(where + ": unit " + std::to_string(u)
                                  + " has a negative or non-finite FLOP or byte count");
        if (unit.weightGradientBytes < 0)
            throw InvalidArgument(where + ": unit " + std::to_string(u) + " has negative weight_gradient_bytes");
        if (!(unit.weightGradientFlops >= 0.0) || !(unit.weightGradientFlops <= unit.backwardFlops))
            throw InvalidArgument(where + ": unit " + std::to_string(u) + " has weight_gradient_flops "
                                  + std::to_string(unit.weightGradientFlops) + ", expected 0 to its backward_flops "
                                  + std::to_string(unit.backwardFlops));
    }
    for (const DeviceCosts& device : costs.devices) {
        if (device.units.size() != costs.units.size())
            throw InvalidArgument(where + ": device '" + device.device + "' has times for "
                                  + std::to_string(device.units.size()) + " units, the model has "
                                  + std::to_string(costs.units.size()));
        for (size_t u = 0; u < device.units.size(); ++u) {
            const UnitTimes& times = device.units[u];
            if (!(times.forwardSeconds >= 0.0) || !(times.backwardSeconds >= 0.0)
                || !std::isfinite(times.forwardSeconds) || !std::isfinite(times.backwardSeconds))
                throw InvalidArgument(where + ": device '" + device.device + "' unit " + std::to_string(u)
                                      + " has a negative or non-finite time");
        }
        if (!(device.updateSecondsPerParameter >= 0.0) || !std::isfinite(device.updateSecondsPerParameter))
            throw InvalidArgument(where + ": device '" + device.device + "' has a negative or non-finite update time");
        if (!(device.inputSecondsPerSample >= 0.0) || !std::isfinite(device.inputSecondsPerSample))
            throw InvalidArgument(where + ": device '" + device.device + "' has a negative or non-finite input time");
    }
}

} // namespace lpm
