// Makes a Backend from a device's short name: "cpu" (the reference, `cpuThreads`
// threads), "cuda" or "cuda:N" (GPU N; needs a build with CUDA and a GPU).
#pragma once

#include <memory>
#include <string>

#include "backend/backend.h"

namespace lpm {

struct BackendRequest {
    std::string name = "cpu"; // cpu | cuda | cuda:N
    int cpuThreads = 1;
    bool tf32 = false; // CUDA only: allow TF32 tensor cores (not exact against the CPU)
};

// Throws InvalidArgument for an unknown name, or a CUDA name in a build without CUDA.
std::unique_ptr<Backend> makeBackend(const BackendRequest& request);

// True when this build has the CUDA backend (whether or not a GPU is present).
bool cudaBackendBuilt();

} // namespace lpm
