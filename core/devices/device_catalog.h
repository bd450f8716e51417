// The catalogue of devices one can plan for without having them: NVIDIA
// data-sheet figures (SXM parts where there are two; dense rates, no
// sparsity), and the link figures the planner assumes between them.
//
// Figures are per GPU. Link bandwidths are per direction (a data sheet's
// "900 GB/s NVLink" is both directions together, so 450 GB/s here), because a
// pipeline boundary carries the activation one way and the gradient the other.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lpm {

struct LinkSpec {
    std::string name;            // "NVLink 4", "PCIe 5.0 x16", "100 Gb Ethernet"
    double bytesPerSecond = 0.0; // per direction
    double latencySeconds = 0.0; // per message, assumed (see device_catalog.cpp)
};

struct DeviceModel {
    std::string id;                    // the name a spec uses: "H100", "A100-80"
    std::string fullName;              // "NVIDIA H100 SXM5 80 GB"
    double fp32FlopsPerSecond = 0.0;   // plain FP32 (CUDA cores); what an fp32 backend gets
    double tensorFlopsPerSecond = 0.0; // dense TF32 tensor cores (0 when none)
    double memoryBytesPerSecond = 0.0; // device memory bandwidth
    int64_t memoryBytes = 0;
    LinkSpec peerLink; // between two of these in one server (NVLink, else PCIe)
    int perServer = 8; // GPUs one server holds; more spill into further servers
};

// The GPUs of the catalogue, in order of release.
const std::vector<DeviceModel>& deviceCatalog();
// Case-insensitive lookup by id. Throws InvalidArgument listing the known ids.
const DeviceModel& catalogDevice(const std::string& id);

// The catalogue entry a local GPU's CUDA name matches ("NVIDIA H100 80GB HBM3"
// → "H100"), or "" when none does. A local GPU is planned with its entry's
// estimates until it is profiled.
std::string catalogIdForGpuName(const std::string& cudaName);

// Links the catalogue assumes between machines and inside a host.
LinkSpec ethernetLink();      // between servers: 100 Gb Ethernet
LinkSpec hostMemoryLink();    // between two CPU stages of one machine (shared memory)
LinkSpec sameGpuLink();       // between two stages on one GPU (a copy within its memory)
LinkSpec hostStagedGpuLink(); // between two GPUs of one machine without peer access

// The fraction of a data-sheet rate a unit is assumed to reach when its cost
// is estimated rather than measured (plan/cost_model.h), and the fixed cost
// of launching a unit's forward (its backward pays it twice). Calibrated on
// an H200 with PyTorch 2.11 in fp32 (bench/gpu_unit_costs.py, 2026-11-27):
// an 8192² GEMM reached 50.8 of 67 TFLOP/s (0.76), a device copy 4,190 of
// 4,800 GB/s (0.87); small layers reach less, hence 0.6 and 0.7. A plain
// layer's forward or backward cost 42-62 µs beyond its FLOPs and bytes
// (launch and autograd), a whole model step 20-35 % less than its units'
// sum: 40 µs. A residual block (about eight kernels) costs several times that.
inline constexpr double kAchievedComputeFraction = 0.6;
inline constexpr double kAchievedMemoryFraction = 0.7;
inline constexpr double kUnitOverheadSeconds = 40e-6;

} // namespace lpm
