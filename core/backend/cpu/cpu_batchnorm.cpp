// CpuBackend batch normalisation over (N, C, H, W), one channel per task.
// Sums run over each plane in eight interleaved float lanes (one vector),
// and the planes' sums are added in double in n order: a fixed order, so the
// statistics do not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "backend/cpu/cpu_backend.h"

namespace lpm {

namespace {
constexpr int kLanes = 8;

// Eight float lanes as one value: GCC and Clang compile its arithmetic to one
// AVX instruction (two SSE ones without AVX), which auto-vectorisation of the
// lane loops did not reliably do.
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));

inline Lanes load(const float* from)
{
    Lanes value;
    std::memcpy(&value, from, sizeof(value));
    return value;
}

// total += each lane in turn, in double.
void addLanes(const Lanes& lanes, double& total)
{
    for (int l = 0; l < kLanes; ++l)
        total += lanes[l];
}

// Σ a[i] and Σ a[i]·a[i] over one plane, in kLanes interleaved lanes: lane l
// sums the i ≡ l (mod kLanes), and the tail goes to lane 0.
void planeSums(const float* a, int64_t count, double& sum, double& squares)
{
    Lanes lane = {}, laneSquares = {};
    int64_t i = 0;
    for (; i + kLanes <= count; i += kLanes) {
        const Lanes v = load(a + i);
        lane += v;
        laneSquares += v * v;
    }
    for (; i < count; ++i) {
        lane[0] += a[i];
        laneSquares[0] += a[i] * a[i];
    }
    addLanes(lane, sum);
    addLanes(laneSquares, squares);
}

// Σ dy[i] and Σ dy[i]·(x[i] − mean)·invStd over one plane, in kLanes lanes.
void planeGradientSums(const float* dy, const float* x, float mean, float invStd, int64_t count, double& sumDy,
                       double& sumDyXhat)
{
    Lanes lane = {}, laneXhat = {};
    int64_t i = 0;
    for (; i + kLanes <= count; i += kLanes) {
        const Lanes gradient = load(dy + i);
        lane += gradient;
        laneXhat += gradient * ((load(x + i) - mean) * invStd);
    }
    for (; i < count; ++i) {
        lane[0] += dy[i];
        laneXhat[0] += dy[i] * ((x[i] - mean) * invStd);
    }
    addLanes(lane, sumDy);
    addLanes(laneXhat, sumDyXhat);
}
} // namespace

void CpuBackend::batchNormForwardTraining(const BatchNormGeometry& g, const float* x, const float* gamma,
                                          const float* beta, float* y, float* savedMean, float* savedInvStd,
                                          float* runningMean, float* runningVar)
{
    const int64_t count = g.batch * g.spatial;
    team_.parallelFor(g.channels, [&](int64_t begin, int64_t end, int) {
        for (int64_t c = begin; c < end; ++c) {
            double sum = 0.0, squares = 0.0;
            for (int64_t n = 0; n < g.batch; ++n)
                planeSums(x + (n * g.channels + c) * g.spatial, g.spatial, sum, squares);
            const double mean = sum / double(count);
            const double variance = std::max(squares / double(count) - mean * mean, 0.0);
            const float invStd = static_cast<float>(1.0 / std::sqrt(variance + g.epsilon));
            savedMean[c] = static_cast<float>(mean);
            savedInvStd[c] = invStd;
            const double unbiased = count > 1 ? variance * double(count) / double(count - 1) : variance;
            runningMean[c] = (1.0f - g.momentum) * runningMean[c] + g.momentum * float(mean);
            runningVar[c] = (1.0f - g.momentum) * runningVar[c] + g.momentum * float(unbiased);
            const float scale = gamma[c] * invStd, shift = beta[c] - float(mean) * scale;
            for (int64_t n = 0; n < g.batch; ++n) {
                const float* in = x + (n * g.channels + c) * g.spatial;
                float* out = y + (n * g.channels + c) * g.spatial;
                for (int64_t i = 0; i < g.spatial; ++i)
                    out[i] = in[i] * scale + shift;
            }
        }
    });
}

void CpuBackend::batchNormForwardInference(const BatchNormGeometry& g, const float* x, const float* gamma,
                                           const float* beta, const float* runningMean, const float* runningVar,
                                           float* y)
{
    team_.parallelFor(g.channels, [&](int64_t begin, int64_t end, int) {
        for (int64_t c = begin; c < end; ++c) {
            const float scale = gamma[c] / std::sqrt(runningVar[c] + g.epsilon);
            const float shift = beta[c] - runningMean[c] * scale;
            for (int64_t n = 0; n < g.batch; ++n) {
                const float* in = x + (n * g.channels + c) * g.spatial;
                float* out = y + (n * g.channels + c) * g.spatial;
                for (int64_t i = 0; i < g.spatial; ++i)
                    out[i] = in[i] * scale + shift;
            }
        }
    });
}

void CpuBackend::batchNormBackward(const BatchNormGeometry& g, const float* x, const float* gamma,
                                   const float* savedMean, const float* savedInvStd, const float* dy, float* dx,
                                   float* gradGamma, float* gradBeta)
{
    const int64_t count = g.batch * g.spatial;
    team_.parallelFor(g.channels, [&](int64_t begin, int64_t end, int) {
        for (int64_t c = begin; c < end; ++c) {
            const float mean = savedMean[c], invStd = savedInvStd[c];
            // Σ dy and Σ dy·x̂ with x̂ = (x − mean)·invStd.
            double sumDy = 0.0, sumDyXhat = 0.0;
            for (int64_t n = 0; n < g.batch; ++n) {
                const int64_t offset = (n * g.channels + c) * g.spatial;
                planeGradientSums(dy + offset, x + offset, mean, invStd, g.spatial, sumDy, sumDyXhat);
            }
            gradGamma[c] += static_cast<float>(sumDyXhat);
            gradBeta[c] += static_cast<float>(sumDy);
            // dx = γ·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)).
            const float meanDy = float(sumDy / double(count));
            const float meanDyXhat = float(sumDyXhat / double(count));
            const float scale = gamma[c] * invStd;
            for (int64_t n = 0; n < g.batch; ++n) {
                const float* in = x + (n * g.channels + c) * g.spatial;
                const float* grad = dy + (n * g.channels + c) * g.spatial;
                float* out = dx + (n * g.channels + c) * g.spatial;
                for (int64_t i = 0; i < g.spatial; ++i) {
                    const float xhat = (in[i] - mean) * invStd;
                    out[i] = scale * (grad[i] - meanDy - xhat * meanDyXhat);
                }
            }
        }
    });
}

} // namespace lpm
