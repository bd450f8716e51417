// GPU discovery: every CUDA device this process can use, with what a user
// plans by (name, memory, multiprocessors, compute capability, clock) and the
// peer-access matrix, plus the driver and library versions. Plain C++ (no
// CUDA types), so the CLI and the desktop application include it freely.
//
// Never throws for an absent driver or GPU, and never in a build without
// CUDA: `status` then says why in one line, and `gpus` is empty.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lpm {

struct GpuDevice {
    int index = 0;
    std::string name;        // e.g. "NVIDIA H100 80GB HBM3"
    int64_t memoryBytes = 0; // total global memory
    int multiprocessors = 0;
    int computeMajor = 0, computeMinor = 0;
    int clockKHz = 0;     // peak SM clock
    std::string pciBusId; // e.g. "0000:18:00.0"
};

struct GpuDiscovery {
    bool cudaBuilt = false; // this build has the CUDA backend
    std::vector<GpuDevice> gpus;
    // peerAccess[i][j]: GPU i can read and write GPU j's memory directly (i ≠ j).
    std::vector<std::vector<bool>> peerAccess;
    int driverVersion = 0;  // CUDA version the driver supports, 1000·major + 10·minor; 0 = none
    int runtimeVersion = 0; // CUDA runtime linked in, same encoding
    int cudnnVersion = 0;   // e.g. 91400 = 9.14.0
    int ncclVersion = 0;    // e.g. 22809 = 2.28.9; 0 = not built with NCCL
    std::string status;     // one line: what was found, or why nothing was
};

GpuDiscovery discoverGpus();

// "13.0" for 13000 (the driver and runtime encoding); "none" for 0.
std::string formatCudaVersion(int version);
// "9.14.0" for 91400 (cuDNN's and NCCL's encoding); "none" for 0.
std::string formatLibraryVersion(int version);

} // namespace lpm
