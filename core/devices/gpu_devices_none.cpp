// discoverGpus() in builds without CUDA.
#include "devices/gpu_devices.h"

namespace lpm {

GpuDiscovery discoverGpus()
{
    GpuDiscovery found;
    found.status = "this build has no CUDA backend (configured without the CUDA toolkit, cuBLAS and cuDNN)";
    return found;
}

} // namespace lpm
