#include "devices/device_catalog.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "tensor/error.h"

namespace lpm {

namespace {

constexpr double kTera = 1e12;
constexpr double kGiga = 1e9;
constexpr int64_t kGigabyte = 1'000'000'000; // data sheets count memory in 10^9 bytes

// Message latencies are not on data sheets; these are assumed orders of
// magnitude for one pipeline message including the software around it.
constexpr double kNvlinkLatency = 3e-6;
constexpr double kPcieLatency = 8e-6;

// PCIe x16 per direction: Gen3 about 16 GB/s, Gen4 32 GB/s, Gen5 64 GB/s
// (data sheets quote both directions together: 32, 64, 128 GB/s).
LinkSpec pcie(int generation)
{
    const double perDirection = generation == 3 ? 16 * kGiga : generation == 4 ? 32 * kGiga : 64 * kGiga;
    return {"PCIe " + std::to_string(generation) + ".0 x16", perDirection, kPcieLatency};
}

LinkSpec nvlink(int version, double bothDirectionsBytesPerSecond)
{
    return {"NVLink " + std::to_string(version), bothDirectionsBytesPerSecond / 2, kNvlinkLatency};
}

std::vector<DeviceModel> makeCatalog()
{
    std::vector<DeviceModel> catalog;
    // id, full name, FP32, TF32 dense, memory bandwidth, memory, peer link, per server
    catalog.push_back(
        {"V100", "NVIDIA V100 SXM2 32 GB", 15.7 * kTera, 0.0, 900 * kGiga, 32 * kGigabyte, nvlink(2, 300 * kGiga), 8});
    catalog.push_back({"A100-40", "NVIDIA A100 SXM4 40 GB", 19.5 * kTera, 156 * kTera, 1555 * kGiga, 40 * kGigabyte,
                       nvlink(3, 600 * kGiga), 8});
    catalog.push_back({"A100-80", "NVIDIA A100 SXM4 80 GB", 19.5 * kTera, 156 * kTera, 2039 * kGiga, 80 * kGigabyte,
                       nvlink(3, 600 * kGiga), 8});
    catalog.push_back({"RTX4090", "NVIDIA GeForce RTX 4090 24 GB", 82.6 * kTera, 82.6 * kTera, 1008 * kGiga,
                       24 * kGigabyte, pcie(4), 4});
    catalog.push_back({"L4", "NVIDIA L4 24 GB", 30.3 * kTera, 60 * kTera, 300 * kGiga, 24 * kGigabyte, pcie(4), 8});
    catalog.push_back({"H100", "NVIDIA H100 SXM5 80 GB", 67 * kTera, 494.7 * kTera, 3350 * kGiga, 80 * kGigabyte,
                       nvlink(4, 900 * kGiga), 8});
    catalog.push_back({"H200", "NVIDIA H200 SXM 141 GB", 67 * kTera, 494.7 * kTera, 4800 * kGiga, 141 * kGigabyte,
                       nvlink(4, 900 * kGiga), 8});
    return catalog;
}

std::string lowercase(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return text;
}

} // namespace

const std::vector<DeviceModel>& deviceCatalog()
{
    static const std::vector<DeviceModel> catalog = makeCatalog();
    return catalog;
}

const DeviceModel& catalogDevice(const std::string& id)
{
    const std::string wanted = lowercase(id);
    std::string known;
    for (const DeviceModel& device : deviceCatalog()) {
        if (lowercase(device.id) == wanted)
            return device;
        known += (known.empty() ? "" : ", ") + device.id;
    }
    throw InvalidArgument("unknown catalogue device '" + id + "' (known: " + known + ")");
}

LinkSpec ethernetLink()
{
    // 100 Gb/s is 12.5 GB/s per direction; ~25 µs for a message through the
    // network stack is an assumption, not a measurement.
    return {"100 Gb Ethernet", 12.5 * kGiga, 25e-6};
}

LinkSpec sameGpuLink()
{
    // A device-to-device copy on one GPU: assumed ~1 TB/s (it reads and
    // writes the same memory) and ~20 µs per hand-over, which the executor
    // pays in host synchronisation (sender's stream, then receiver's copy).
    return {"one GPU's memory", 1000 * kGiga, 20e-6};
}

LinkSpec hostStagedGpuLink()
{
    // Without peer access the driver copies GPU → host → GPU in chunks: two
    // PCIe crossings, overlapped. Assumed: half of a PCIe 4.0 x16 direction
    // and twice its latency (not measured; no machine here has two GPUs).
    const LinkSpec bus = pcie(4);
    return {"through host memory (" + bus.name + ")", bus.bytesPerSecond / 2, 2 * bus.latencySeconds};
}

std::string catalogIdForGpuName(const std::string& cudaName)
{
    // Most specific first: "A100" alone does not say 40 or 80 GB.
    static const std::vector<std::pair<std::string, std::string>> markers = {{"H200", "H200"},
                                                                             {"H100", "H100"},
                                                                             {"A100-SXM4-40GB", "A100-40"},
                                                                             {"A100 40GB", "A100-40"},
                                                                             {"A100", "A100-80"},
                                                                             {"V100", "V100"},
                                                                             {"L4", "L4"},
                                                                             {"4090", "RTX4090"}};
    for (const auto& [marker, id] : markers)
        if (cudaName.find(marker) != std::string::npos)
            return id;
    return "";
}

LinkSpec hostMemoryLink()
{
    // Stage threads of one process hand a tensor over without copying it
    // (InProcessTransport), so the bytes cost next to nothing (10 TB/s keeps
    // the link's formula finite); what costs is the receiver noticing it.
    // A waiting stage spins for up to 1 ms before it blocks (RunControl), and
    // then notices in 1.5–1.7 µs one way; a blocked one takes 20–22 µs to wake
    // (half the median round trips of `bench_handover` on the 2-vCPU dev VM,
    // three runs; docs/BENCHMARKS.md). Modelled as 2 µs: a stage that waited
    // longer than the spin sits in a bubble the schedule already counts.
    return {"shared memory", 10000 * kGiga, 2e-6};
}

} // namespace lpm
