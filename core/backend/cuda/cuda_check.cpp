#include "backend/cuda/cuda_check.h"

#include <string>

namespace lpm {

void throwCudaError(const char* call, const char* library, const char* errorName,
                    const char* errorText, const char* file, int line)
{
    throw CudaError(std::string(library) + " call " + call + " failed: " + errorText + " (" + errorName +
                    ") at " + file + ":" + std::to_string(line));
}

} // namespace lpm
