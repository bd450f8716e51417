#include "backend/cuda/cuda_check.h"

#include <climits>
#include <string>

namespace lpm {

void throwCudaError(const char* call, const char* library, const char* errorName, const char* errorText,
                    const char* file, int line)
{
    // The path from the source tree's core/ folder on (__FILE__ is absolute).
    std::string where = file;
    if (const size_t core = where.rfind("/core/"); core != std::string::npos)
        where = where.substr(core + 1);
    throw CudaError(std::string(library) + " call " + call + " failed: " + errorText + " (" + errorName + ") at "
                    + where + ":" + std::to_string(line));
}

int cublasInt(int64_t value, const char* what)
{
    if (value < 0 || value > INT_MAX)
        throw InvalidArgument(std::string("CUDA backend: ") + what + " = " + std::to_string(value)
                              + " does not fit cuBLAS's 32-bit sizes");
    return static_cast<int>(value);
}

} // namespace lpm
