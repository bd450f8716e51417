// One row (or one element) of the transformer operations, shared by the CPU
// reference (cpu_transformer.cpp) and the CUDA kernels (cuda_kernels.cu),
// as softmax_row.h is for the loss: both run the same arithmetic in the same
// order, so they differ only where the two maths libraries' exp and log do.
#pragma once

#include <math.h>   // expf, exp, floorf, log, sqrt on the host and on the GPU
#include <string.h> // memcpy, on the host and on the GPU

#include <cstdint>

#include "tensor/host_device.h"

namespace lpm {

inline constexpr float kGeluScale = 0.7978845608028654f; // √(2/π)
inline constexpr float kGeluCubic = 0.044715f;

// e^x in float without a library call, so that a loop over it vectorises
// (glibc's expf is a scalar call; GELU spent a fifth of gpt-mini's CPU time
// in it). x = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 in two parts), e^r by its
// Taylor polynomial to r⁶ (truncation below 1.3e-7 relative), times 2ⁿ built
// in the exponent bits. x is clamped to [−87, 88], so the result is a normal
// float: about 1.6e-38 below, 1.65e38 above (never 0 or ∞).
LPM_HOST_DEVICE inline float exponential(float x)
{
    constexpr float kLog2e = 1.44269504088896341f;
    constexpr float kLn2High = 0.693145751953125f; // ln 2 = high + low, high with 12 zero low bits
    constexpr float kLn2Low = 1.42860682030941723e-6f;
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    const float n = floorf(x * kLog2e + 0.5f);
    const float r = (x - n * kLn2High) - n * kLn2Low;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const auto bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

// tanh(u) as 1 − 2/(e^{2u} + 1): glibc's tanhf goes through expm1f and took
// a third of gpt-mini's training time on the CPU. The absolute error stays
// within a few ulp of 1 (what GELU's 1 + tanh sees); e^{2u} large gives 1,
// tiny gives −1.
LPM_HOST_DEVICE inline float fastTanh(float u)
{
    return 1.0f - 2.0f / (exponential(2.0f * u) + 1.0f);
}

// GELU, tanh form: 0.5·v·(1 + tanh(√(2/π)·(v + 0.044715·v³))).
LPM_HOST_DEVICE inline float geluValue(float v)
{
    return 0.5f * v * (1.0f + fastTanh(kGeluScale * (v + kGeluCubic * v * v * v)));
}

// d GELU(v) / dv.
LPM_HOST_DEVICE inline float geluSlope(float v)
{
    const float t = fastTanh(kGeluScale * (v + kGeluCubic * v * v * v));
    return 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * kGeluScale * (1.0f + 3.0f * kGeluCubic * v * v);
}

// One row of layer normalisation: statistics in double, the output in float.
LPM_HOST_DEVICE inline void layerNormRowForward(int64_t features, float epsilon, const float* in, const float* gamma,
                                                const float* beta, float* out, float* savedMean, float* savedInvStd)
{
    double sum = 0.0;
    for (int64_t f = 0; f < features; ++f)
        sum += in[f];
    const double mean = sum / double(features);
    double squares = 0.0;
    for (int64_t f = 0; f < features; ++f)
        squares += (in[f] - mean) * (in[f] - mean);
    const float meanF = float(mean);
    const float invStd = float(1.0 / sqrt(squares / double(features) + double(epsilon)));
    *savedMean = meanF;
    *savedInvStd = invStd;
    for (int64_t f = 0; f < features; ++f)
        out[f] = (in[f] - meanF) * invStd * gamma[f] + beta[f];
}

// One row of the layer normalisation's input gradient: with x̂ = (x − mean)·invStd
// and ĝ = dy·gamma, dx = invStd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)).
LPM_HOST_DEVICE inline void layerNormRowBackward(int64_t features, const float* in, const float* gamma, float mean,
                                                 float invStd, const float* gradOut, float* gradIn)
{
    double sumG = 0.0, sumGXhat = 0.0;
    for (int64_t f = 0; f < features; ++f) {
        const float scaled = gradOut[f] * gamma[f];
        sumG += scaled;
        sumGXhat += scaled * ((in[f] - mean) * invStd);
    }
    const float meanG = float(sumG / double(features));
    const float meanGXhat = float(sumGXhat / double(features));
    for (int64_t f = 0; f < features; ++f) {
        const float xhat = (in[f] - mean) * invStd;
        gradIn[f] = invStd * (gradOut[f] * gamma[f] - meanG - xhat * meanGXhat);
    }
}

// Row i of the probabilities from the scores and lse_i: P[i][j] =
// exp(S[i][j] − lse_i) for j ≤ i, 0 beyond (the forward, and the backward again).
LPM_HOST_DEVICE inline void causalProbabilitiesRow(int64_t i, int64_t tokens, float logSumExp, float* row)
{
    for (int64_t j = 0; j <= i; ++j)
        row[j] = exponential(row[j] - logSumExp);
    for (int64_t j = i + 1; j < tokens; ++j)
        row[j] = 0.0f;
}

// In row i of the T×T scores S (already scaled), the causal softmax:
// lse_i = peak + log Σ_{j ≤ i} exp(S[i][j] − peak), summed in double, and then
// the probabilities (causalProbabilitiesRow); returns lse_i. `scratch` holds
// at least i + 1 floats (the terms, apart so that their exponentials vectorise).
LPM_HOST_DEVICE inline float causalSoftmaxRow(int64_t i, int64_t tokens, float* row, float* scratch)
{
    float peak = row[0];
    for (int64_t j = 1; j <= i; ++j)
        peak = row[j] > peak ? row[j] : peak;
    for (int64_t j = 0; j <= i; ++j)
        scratch[j] = exponential(row[j] - peak);
    double sum = 0.0;
    for (int64_t j = 0; j <= i; ++j)
        sum += scratch[j];
    const float logSumExp = peak + float(log(sum));
    causalProbabilitiesRow(i, tokens, logSumExp, row);
    return logSumExp;
}

// Row i of the scores' gradient: dS[i][j] = P[i][j]·(dP[i][j] − Σ_c dO[i][c]·O[i][c])
// for j ≤ i, 0 beyond; `gradRow` holds dP[i] on entry. gradOutRow and outRow
// are row i of the head's dO and O (headDim values each).
LPM_HOST_DEVICE inline void attentionScoreGradientRow(int64_t i, int64_t tokens, int64_t headDim,
                                                      const float* gradOutRow, const float* outRow,
                                                      const float* probabilities, float* gradRow)
{
    float rowDot = 0.0f;
    for (int64_t c = 0; c < headDim; ++c)
        rowDot += gradOutRow[c] * outRow[c];
    for (int64_t j = 0; j <= i; ++j)
        gradRow[j] = probabilities[j] * (gradRow[j] - rowDot);
    for (int64_t j = i + 1; j < tokens; ++j)
        gradRow[j] = 0.0f;
}

} // namespace lpm
