// Launchers for the CUDA backend's own kernels (everything cuBLAS and cuDNN
// do not do). Plain C++ declarations, so .cpp files can call them; the
// kernels live in cuda_kernels.cu. Every launcher enqueues on `stream`,
// checks the launch, and does not wait. Pointers are device pointers; the
// meaning of each argument is that of the matching Backend method.
//
// Results are deterministic: no atomics; every sum runs in a fixed order,
// the same order as the CPU reference wherever that is cheap (bias sums,
// pooling gradients, the loss), so those outputs agree with the CPU bit for bit
// up to fused multiply-adds.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "backend/backend.h"

namespace lpm::cuda_kernels {

void addRowBias(cudaStream_t stream, int64_t rows, int64_t features, const float* bias, float* y);
void accumulateColumnSums(cudaStream_t stream, int64_t rows, int64_t features, const float* dy, float* gradBias);

void reluForward(cudaStream_t stream, int64_t count, const float* x, float* y);
void reluBackward(cudaStream_t stream, int64_t count, const float* y, const float* dy, float* dx);
void addInPlace(cudaStream_t stream, int64_t count, const float* x, float* y);
void multiply(cudaStream_t stream, int64_t count, const float* a, const float* b, float* y);
void scale(cudaStream_t stream, int64_t count, float alpha, float* x);
void dropoutForward(cudaStream_t stream, int64_t count, float p, uint64_t key, int64_t firstIndex, const float* x,
                    float* y, float* mask);

void maxPool2dForward(cudaStream_t stream, const Pool2dGeometry& g, const float* input, float* output, int32_t* argmax);
void maxPool2dBackward(cudaStream_t stream, const Pool2dGeometry& g, const float* gradOutput, const int32_t* argmax,
                       float* gradInput);
void avgPool2dForward(cudaStream_t stream, const Pool2dGeometry& g, const float* input, float* output);
void avgPool2dBackward(cudaStream_t stream, const Pool2dGeometry& g, const float* gradOutput, float* gradInput);

// Per row: rowLoss[n] = −log softmax[n, label[n]] (double), rowCorrect[n] = argmax == label,
// gradLogits = scale·(softmax − onehot).
void softmaxCrossEntropyRows(cudaStream_t stream, int64_t rows, int64_t classes, const float* logits,
                             const int32_t* labels, float scale, float* gradLogits, double* rowLoss,
                             int32_t* rowCorrect);

// The transformer operations (transformer_rows.h gives each row's arithmetic,
// the CPU's). Layer norm: one thread per row; its parameter gradients one
// thread per feature, rows added in order onto the existing value.
void layerNormForward(cudaStream_t stream, const LayerNormGeometry& g, const float* x, const float* gamma,
                      const float* beta, float* y, float* savedMean, float* savedInvStd);
void layerNormBackwardData(cudaStream_t stream, const LayerNormGeometry& g, const float* x, const float* gamma,
                           const float* savedMean, const float* savedInvStd, const float* dy, float* dx);
void layerNormParameterGradients(cudaStream_t stream, const LayerNormGeometry& g, const float* x,
                                 const float* savedMean, const float* savedInvStd, const float* dy, float* gradGamma,
                                 float* gradBeta);
void geluForward(cudaStream_t stream, int64_t count, const float* x, float* y);
void geluBackward(cudaStream_t stream, int64_t count, const float* x, const float* dy, float* dx);
// ids checked by the caller (whole numbers in [0, vocabulary)). The scatter:
// one thread per column, rows added in order (the CPU's order; no atomics).
void embeddingForward(cudaStream_t stream, int64_t rows, int64_t width, const float* ids, const float* table, float* y);
void embeddingBackward(cudaStream_t stream, int64_t rows, int64_t width, const float* ids, const float* dy,
                       float* gradTable);
// Attention rows of one sample, `rows` = heads·T rows of T scores (head-major),
// one thread per row: the causal softmax (saving lse), the probabilities again
// from the saved lse, and the scores' gradient from dP (in gradScores) and the
// sample's dO and O ((T, C) blocks, head h's columns at h·D). The softmax
// uses `scratch` (as many floats as the scores) for its terms.
void causalSoftmaxRows(cudaStream_t stream, int64_t rows, int64_t tokens, float* scores, float* scratch,
                       float* logSumExp);
void causalProbabilityRows(cudaStream_t stream, int64_t rows, int64_t tokens, const float* logSumExp, float* scores);
void attentionScoreGradientRows(cudaStream_t stream, const AttentionGeometry& g, const float* gradOut, const float* out,
                                const float* probabilities, float* gradScores);

void sgdUpdate(cudaStream_t stream, int64_t count, const SgdHyper& h, float* weights, const float* grads,
               float* velocity);
void adamUpdate(cudaStream_t stream, int64_t count, const AdamHyper& h, const AdamStepScales& scales, float* weights,
                const float* grads, float* firstMoment, float* secondMoment);

} // namespace lpm::cuda_kernels
