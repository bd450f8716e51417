// Checks a backend against the CPU reference, operation by operation: every
// layer's forward and backward calls (and the loss and the optimizers) run on
// the same random inputs on both, and each output is compared by its
// relative error ‖candidate − cpu‖ / ‖cpu‖ (integer outputs: the fraction of
// elements that differ). Inputs are drawn from `seed`, never zeros; layer
// shapes are those of the zoo's layers at a small batch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace lpm {

struct BackendCheckRow {
    std::string layer;  // e.g. "Conv2d 16→32 k3 p1"
    std::string pass;   // forward | backward | update
    std::string output; // e.g. "gradWeight"
    int64_t elements = 0;
    double relativeError = 0.0;
    bool passed = true; // relativeError ≤ tolerance
};

struct BackendCheckReport {
    std::string backend;
    uint64_t seed = 0;
    double tolerance = 0.0;
    std::vector<BackendCheckRow> rows;
    double worstError = 0.0;
    bool passed = true;
};

// Runs every check of `candidate` against a one-thread CpuBackend.
BackendCheckReport checkBackendAgainstCpu(Backend& candidate, uint64_t seed, double tolerance);

} // namespace lpm
