#include "devices/gpu_devices.h"

namespace lpm {

std::string formatCudaVersion(int version)
{
    if (version <= 0)
        return "none";
    return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

std::string formatLibraryVersion(int version)
{
    if (version <= 0)
        return "none";
    return std::to_string(version / 10000) + "." + std::to_string((version / 100) % 100) + "."
           + std::to_string(version % 100);
}

} // namespace lpm
