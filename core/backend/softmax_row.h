// One row of softmax cross-entropy, shared by the CPU reference and the CUDA
// kernel so both do the same arithmetic in the same order: the argmax (the
// first maximum), exp and the normaliser in double, then
// dz[j] = scale·(softmax[j] − onehot[j]) in float.
#pragma once

#include <math.h> // exp and log for double, on the host and on the GPU

#include <cstdint>

#include "tensor/host_device.h"

namespace lpm {

struct SoftmaxRowResult {
    double loss = 0.0;    // −log softmax[label]
    bool correct = false; // argmax == label
};

LPM_HOST_DEVICE inline SoftmaxRowResult softmaxCrossEntropyRow(int64_t classes, const float* z, int32_t label,
                                                               float scale, float* dz)
{
    int64_t best = 0;
    for (int64_t j = 1; j < classes; ++j)
        if (z[j] > z[best])
            best = j;
    const float peak = z[best];
    double denominator = 0.0;
    for (int64_t j = 0; j < classes; ++j)
        denominator += exp(static_cast<double>(z[j] - peak));
    for (int64_t j = 0; j < classes; ++j) {
        const double probability = exp(static_cast<double>(z[j] - peak)) / denominator;
        dz[j] = scale * static_cast<float>(probability - (j == label ? 1.0 : 0.0));
    }
    return {log(denominator) - static_cast<double>(z[label] - peak), best == label};
}

} // namespace lpm
