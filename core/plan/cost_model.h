// The cost model's inputs (DESIGN §1.2): per unit, the bytes and FLOPs the
// model states, and per kind of device, the seconds a unit's forward and
// backward take on one micro-batch, measured by the profiler (profiler.h) or
// estimated from the device catalogue's data-sheet rates.
//
// Times are taken at one micro-batch size and scaled linearly to others
// (scaleUnitTimes, timesFor): exact for the CPU's per-sample loops,
// optimistic for GPUs at small micro-batches, where fixed launch costs
// dominate.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "devices/device_catalog.h"
#include "nn/unit_cost.h"

namespace lpm {

class Model;

struct UnitTimes {
    double forwardSeconds = 0.0;
    double backwardSeconds = 0.0;
};

// A model's unit times on one kind of device.
struct DeviceCosts {
    std::string device;           // "cpu" (this machine's core) or a catalogue id
    std::string source;           // one line: how the times were obtained
    std::vector<UnitTimes> units; // per micro-batch of ModelCosts::microBatchSize samples
    // A stage's update, per fp32 parameter: one SGD-with-momentum step, then
    // the gradient zeroed for the next mini-batch (kUpdateBytesPerParameter
    // of memory traffic).
    double updateSecondsPerParameter = 0.0;
    // Gathering one sample of a mini-batch's input on the host (the first
    // stage does it before its first forward of each mini-batch); measured
    // by the profiler, 0 in estimates and in costs files from before it.
    double inputSecondsPerSample = 0.0;
    // The schedule of the measured run these times were calibrated on
    // (sim/calibration.h); empty for a profile or an estimate.
    std::string calibratedOn = {};
};

// SGD with momentum reads weight, gradient and velocity and writes weight and
// velocity; zeroing the gradient writes it once more: six fp32 passes.
inline constexpr double kUpdateBytesPerParameter = 6.0 * sizeof(float);

// Seconds per byte of a plain elementwise pass over the device's memory
// (a copy, a sum), at the rate its update achieved.
inline double memorySecondsPerByte(const DeviceCosts& device)
{
    return device.updateSecondsPerParameter / kUpdateBytesPerParameter;
}

struct ModelCosts {
    std::string model;
    int64_t microBatchSize = 1;      // the size DeviceCosts::units were taken at
    int64_t inputBytesPerSample = 0; // what unit 0 reads per sample
    std::vector<UnitCost> units;     // per sample, from the model
    std::vector<DeviceCosts> devices;

    int unitCount() const { return static_cast<int>(units.size()); }
    // Null when there are no costs for `device`.
    const DeviceCosts* find(const std::string& device) const;
    // Throws InvalidArgument naming the device and the costs that are there.
    const DeviceCosts& at(const std::string& device) const;
};

// The model's per-sample units, with no device times yet. Throws
// InvalidArgument for a micro-batch size below 1.
ModelCosts describeModelCosts(const Model& model, int64_t microBatchSize);

// Times on a catalogue device from its data sheet: per unit and direction the
// larger of FLOPs at kAchievedComputeFraction of the FP32 rate and bytes moved
// at kAchievedMemoryFraction of memory bandwidth (a roofline), plus
// kUnitOverheadSeconds per launch of the unit (twice for backward).
DeviceCosts estimateDeviceCosts(const ModelCosts& costs, const DeviceModel& device);

// Unit times taken at micro-batches of `fromSize` samples, scaled linearly to
// micro-batches of `toSize` (both at least 1).
std::vector<UnitTimes> scaleUnitTimes(std::vector<UnitTimes> times, int64_t fromSize, int64_t toSize);

// `costs` times for `device` scaled to micro-batches of `microBatchSize`.
std::vector<UnitTimes> timesFor(const ModelCosts& costs, const std::string& device, int64_t microBatchSize);

// Throws InvalidArgument naming the field when units, sizes or times are
// inconsistent, negative or not finite (costs loaded from a file pass here).
void validateModelCosts(const ModelCosts& costs);

} // namespace lpm
