#include "devices/backend_factory.h"

#include <charconv>
#include <cstdlib>

#include "backend/cpu/cpu_backend.h"
#include "devices/gpu_devices.h"
#include "tensor/error.h"
#if defined(LPM_HAVE_CUDA)
#include "backend/cuda/cuda_backend.h"
#endif

namespace lpm {

namespace {

// The GPU index of "cuda" (0) or "cuda:N"; -1 when the name is not a CUDA name.
int cudaIndex(const std::string& name)
{
    if (name == "cuda")
        return 0;
    if (name.rfind("cuda:", 0) != 0)
        return -1;
    int index = -1;
    const char* first = name.data() + 5;
    const char* last = name.data() + name.size();
    const auto [end, error] = std::from_chars(first, last, index);
    if (error != std::errc() || end != last || first == last || index < 0)
        throw InvalidArgument("backend '" + name + "': expected cuda:N with N a GPU index, e.g. cuda:0");
    return index;
}

} // namespace

bool cudaBackendBuilt()
{
#if defined(LPM_HAVE_CUDA)
    return true;
#else
    return false;
#endif
}

std::unique_ptr<Backend> makeBackend(const BackendRequest& request)
{
    if (request.name == "cpu")
        return std::make_unique<CpuBackend>(request.cpuThreads);
    const int device = cudaIndex(request.name);
    if (device < 0)
        throw InvalidArgument("unknown backend '" + request.name + "': expected cpu, cuda or cuda:N");
#if defined(LPM_HAVE_CUDA)
    const GpuDiscovery found = discoverGpus();
    if (device >= int(found.gpus.size()))
        throw InvalidArgument("backend '" + request.name + "': "
                              + (found.gpus.empty()
                                     ? "no GPU can be used here: " + found.status
                                     : "there is no GPU " + std::to_string(device) + " (this machine has "
                                           + std::to_string(found.gpus.size()) + ")"));
    CudaBackendOptions options;
    options.device = device;
    options.tf32 = request.tf32;
    // A diagnostic switch for timing the staged uploads against plain ones (docs/GPU.md).
    const char* synchronousUploads = std::getenv("LPM_CUDA_SYNCHRONOUS_UPLOADS");
    options.stagedUploads = synchronousUploads == nullptr || std::string(synchronousUploads) != "1";
    return std::make_unique<CudaBackend>(options);
#else
    throw InvalidArgument("backend '" + request.name
                          + "': this build has no CUDA backend (it was configured without the CUDA toolkit, "
                            "cuBLAS and cuDNN; see docs/GPU.md)");
#endif
}

} // namespace lpm
