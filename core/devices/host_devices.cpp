#include "devices/host_devices.h"

#include "backend/cpu/blas_kernel.h"
#include "backend/cpu/cpu_backend.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

namespace lpm {

int usableCpuCores()
{
    cpu_set_t mask;
    if (sched_getaffinity(0, sizeof(mask), &mask) == 0)
        return std::max(1, CPU_COUNT(&mask));
    return std::max(1u, std::thread::hardware_concurrency());
}

namespace {

std::string cpuModelName()
{
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line))
        if (line.rfind("model name", 0) == 0) {
            const size_t colon = line.find(':');
            if (colon != std::string::npos && colon + 2 <= line.size())
                return line.substr(colon + 2);
        }
    return "unknown CPU";
}

} // namespace

HostDevices discoverHostDevices()
{
    HostDevices host;
    host.cpuCores = usableCpuCores();
    host.cpuName = cpuModelName();
    host.memoryBytes = int64_t(sysconf(_SC_PHYS_PAGES)) * int64_t(sysconf(_SC_PAGE_SIZE));
    const BlasKernelReport blas = blasKernelReport();
    host.blasKernel = blas.kernel;
    host.blasKernelDetail = blas.describe();
    host.convolutionKernels = cpuConvolutionKernels();
    host.gpu = discoverGpus();
    return host;
}

} // namespace lpm
