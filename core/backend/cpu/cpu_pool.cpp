// CpuBackend pooling: max (with argmax kept for backward) and average, over
// (N, C, H, W) planes in parallel; each plane is written by one thread only.
#include <algorithm>
#include <limits>

#include "backend/cpu/cpu_backend.h"

namespace lpm {

void CpuBackend::maxPool2dForward(const Pool2dGeometry& g, const float* input, float* output, int32_t* argmax)
{
    const int64_t oh = g.outHeight(), ow = g.outWidth();
    const int64_t inPlane = g.inHeight * g.inWidth, outPlane = oh * ow;
    team_.parallelFor(g.batch * g.channels, [&](int64_t begin, int64_t end, int) {
        for (int64_t p = begin; p < end; ++p) {
            const float* in = input + p * inPlane;
            float* out = output + p * outPlane;
            int32_t* arg = argmax + p * outPlane;
            for (int64_t y = 0; y < oh; ++y)
                for (int64_t x = 0; x < ow; ++x) {
                    float best = -std::numeric_limits<float>::infinity();
                    int64_t bestIndex = (y * g.stride) * g.inWidth + x * g.stride;
                    for (int64_t ky = 0; ky < g.kernel; ++ky)
                        for (int64_t kx = 0; kx < g.kernel; ++kx) {
                            int64_t index = (y * g.stride + ky) * g.inWidth + x * g.stride + kx;
                            if (in[index] > best) { // first maximum wins on ties
                                best = in[index];
                                bestIndex = index;
                            }
                        }
                    out[y * ow + x] = best;
                    arg[y * ow + x] = static_cast<int32_t>(bestIndex);
                }
        }
    });
}

void CpuBackend::maxPool2dBackward(const Pool2dGeometry& g, const float* gradOutput, const int32_t* argmax,
                                   float* gradInput)
{
    const int64_t inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight() * g.outWidth();
    team_.parallelFor(g.batch * g.channels, [&](int64_t begin, int64_t end, int) {
        for (int64_t p = begin; p < end; ++p) {
            float* dx = gradInput + p * inPlane;
            std::fill_n(dx, inPlane, 0.0f);
            for (int64_t i = 0; i < outPlane; ++i)
                dx[argmax[p * outPlane + i]] += gradOutput[p * outPlane + i];
        }
    });
}

void CpuBackend::avgPool2dForward(const Pool2dGeometry& g, const float* input, float* output)
{
    const int64_t oh = g.outHeight(), ow = g.outWidth();
    const int64_t inPlane = g.inHeight * g.inWidth, outPlane = oh * ow;
    const float scale = 1.0f / static_cast<float>(g.kernel * g.kernel);
    team_.parallelFor(g.batch * g.channels, [&](int64_t begin, int64_t end, int) {
        for (int64_t p = begin; p < end; ++p) {
            const float* in = input + p * inPlane;
            for (int64_t y = 0; y < oh; ++y)
                for (int64_t x = 0; x < ow; ++x) {
                    float sum = 0.0f;
                    for (int64_t ky = 0; ky < g.kernel; ++ky)
                        for (int64_t kx = 0; kx < g.kernel; ++kx)
                            sum += in[(y * g.stride + ky) * g.inWidth + x * g.stride + kx];
                    output[p * outPlane + y * ow + x] = sum * scale;
                }
        }
    });
}

void CpuBackend::avgPool2dBackward(const Pool2dGeometry& g, const float* gradOutput, float* gradInput)
{
    const int64_t oh = g.outHeight(), ow = g.outWidth();
    const int64_t inPlane = g.inHeight * g.inWidth, outPlane = oh * ow;
    const float scale = 1.0f / static_cast<float>(g.kernel * g.kernel);
    team_.parallelFor(g.batch * g.channels, [&](int64_t begin, int64_t end, int) {
        for (int64_t p = begin; p < end; ++p) {
            float* dx = gradInput + p * inPlane;
            std::fill_n(dx, inPlane, 0.0f);
            for (int64_t y = 0; y < oh; ++y)
                for (int64_t x = 0; x < ow; ++x) {
                    const float share = gradOutput[p * outPlane + y * ow + x] * scale;
                    for (int64_t ky = 0; ky < g.kernel; ++ky)
                        for (int64_t kx = 0; kx < g.kernel; ++kx)
                            dx[(y * g.stride + ky) * g.inWidth + x * g.stride + kx] += share;
                }
        }
    });
}

} // namespace lpm
