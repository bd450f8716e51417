// What this machine offers: CPU cores (those this process may run on) and,
// in builds with a CUDA backend, the GPUs. Discovery only; nothing is reserved.
#pragma once

#include <cstdint>
#include <string>

namespace lpm {

struct HostDevices {
    int cpuCores = 1;        // usable by this process (its affinity mask)
    std::string cpuName;     // e.g. "AMD EPYC 7B13", or "unknown CPU"
    int64_t memoryBytes = 0; // physical memory of the machine
    int cudaDevices = 0;
    std::string cudaStatus;  // one line: why there are no GPUs, or what they are
};

HostDevices discoverHostDevices();

} // namespace lpm
