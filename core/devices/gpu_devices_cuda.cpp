// discoverGpus() in builds with CUDA: the CUDA runtime, cuDNN and NCCL asked
// directly. A missing driver or GPU is a status line, never an exception.
#include <cuda_runtime_api.h>
#include <cudnn.h>
#if defined(LPM_HAVE_NCCL)
#include <nccl.h>
#endif

#include <cstdio>

#include "devices/gpu_devices.h"

namespace lpm {

namespace {

std::string cudaProblem(const char* call, cudaError_t status)
{
    cudaGetLastError();
    return std::string(call) + ": " + cudaGetErrorString(status);
}

int attribute(cudaDeviceAttr which, int device)
{
    int value = 0;
    return cudaDeviceGetAttribute(&value, which, device) == cudaSuccess ? value : 0;
}

} // namespace

GpuDiscovery discoverGpus()
{
    GpuDiscovery found;
    found.cudaBuilt = true;
    cudaRuntimeGetVersion(&found.runtimeVersion);
    cudaDriverGetVersion(&found.driverVersion); // 0 when no driver is installed
    found.cudnnVersion = int(cudnnGetVersion());
#if defined(LPM_HAVE_NCCL)
    ncclGetVersion(&found.ncclVersion);
#endif
    if (found.driverVersion == 0) {
        found.status =
            "no NVIDIA driver on this machine (CUDA runtime " + formatCudaVersion(found.runtimeVersion) + ")";
        return found;
    }
    int count = 0;
    if (const cudaError_t status = cudaGetDeviceCount(&count); status != cudaSuccess) {
        found.status = cudaProblem("no usable GPU: cudaGetDeviceCount", status);
        return found;
    }
    for (int device = 0; device < count; ++device) {
        cudaDeviceProp properties{};
        if (const cudaError_t status = cudaGetDeviceProperties(&properties, device); status != cudaSuccess) {
            found.status = cudaProblem("cudaGetDeviceProperties", status);
            continue;
        }
        GpuDevice gpu;
        gpu.index = device;
        gpu.name = properties.name;
        gpu.memoryBytes = int64_t(properties.totalGlobalMem);
        gpu.multiprocessors = properties.multiProcessorCount;
        gpu.computeMajor = properties.major;
        gpu.computeMinor = properties.minor;
        gpu.clockKHz = attribute(cudaDevAttrClockRate, device);
        char bus[32] = {};
        std::snprintf(bus, sizeof bus, "%04x:%02x:%02x.0", properties.pciDomainID, properties.pciBusID,
                      properties.pciDeviceID);
        gpu.pciBusId = bus;
        found.gpus.push_back(gpu);
    }
    const size_t n = found.gpus.size();
    found.peerAccess.assign(n, std::vector<bool>(n, false));
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n; ++j) {
            int canAccess = 0;
            if (i != j && cudaDeviceCanAccessPeer(&canAccess, int(i), int(j)) == cudaSuccess)
                found.peerAccess[i][j] = canAccess != 0;
        }
    if (found.status.empty())
        found.status = std::to_string(n) + (n == 1 ? " GPU" : " GPUs") + ", driver for CUDA "
                       + formatCudaVersion(found.driverVersion) + ", runtime "
                       + formatCudaVersion(found.runtimeVersion);
    return found;
}

} // namespace lpm
