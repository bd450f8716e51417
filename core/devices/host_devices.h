// What this machine offers: CPU cores (those this process may run on) and,
// in builds with a CUDA backend, the GPUs. Discovery only; nothing is reserved.
#pragma once

#include <cstdint>
#include <string>

#include "devices/gpu_devices.h"

namespace lpm {

struct HostDevices {
    int cpuCores = 1;               // usable by this process (its affinity mask)
    std::string cpuName;            // e.g. "AMD EPYC 7B13", or "unknown CPU"
    int64_t memoryBytes = 0;        // physical memory of the machine
    std::string blasKernel;         // the OpenBLAS kernel the CPU backend runs, e.g. "Cooperlake"
    std::string blasKernelDetail;   // one line: that kernel, the best the CPU allows, and who chose it
    std::string convolutionKernels; // e.g. "oneDNN 2.6.3 (avx512_core)"
    GpuDiscovery gpu;               // the GPUs, or in one line why there are none
};

HostDevices discoverHostDevices();
// The CPU cores this process may run on (its affinity mask); at least 1.
int usableCpuCores();

} // namespace lpm
