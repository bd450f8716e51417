// CudaBackend's transformer operations. Layer norm, GELU and the embedding
// are this backend's own kernels (cuda_kernels.cu, with the CPU's arithmetic
// per row from transformer_rows.h). Attention runs sample by sample: for one
// sample, cuBLAS strided-batched products over its heads (head h's blocks lie
// D columns after head h − 1's) give every head's T×T scores at once in
// attentionScores_, one kernel thread per score row does the causal
// softmax, and two more batched products give the output (backward: four).
//
// Row-major in cuBLAS's column-major terms: a row-major T×D block with row
// stride s is, read column-major, its D×T transpose with leading dimension s.
// So with Xᶜ the column-major view of X:
//   S = Q·Kᵀ   ⇔  Sᶜ  = (Kᶜ)ᵀ·Qᶜ          dP = dO·Vᵀ ⇔ dPᶜ = (Vᶜ)ᵀ·dOᶜ
//   O = P·V    ⇔  Oᶜ  = Vᶜ·Pᶜ            dQ = dS·K  ⇔ dQᶜ = Kᶜ·dSᶜ
//   dV = Pᵀ·dO ⇔  dVᶜ = dOᶜ·(Pᶜ)ᵀ        dK = dSᵀ·Q ⇔ dKᶜ = Qᶜ·(dSᶜ)ᵀ
#include <cmath>
#include <vector>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_kernels.h"

namespace lpm {

namespace {
// One strided-batched product over the heads of a sample: C_h = α·op(A_h)·op(B_h)
// (column-major, as cuBLAS takes it), h = 0..batch−1.
void headProducts(cublasHandle_t handle, bool transposeA, bool transposeB, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, int64_t strideA, const float* b, int64_t ldb, int64_t strideB, float* c,
                  int64_t ldc, int64_t strideC, int64_t batch)
{
    const float beta = 0.0f;
    LPM_CUBLAS_CHECK(cublasSgemmStridedBatched(
        handle, transposeA ? CUBLAS_OP_T : CUBLAS_OP_N, transposeB ? CUBLAS_OP_T : CUBLAS_OP_N, cublasInt(m, "m"),
        cublasInt(n, "n"), cublasInt(k, "k"), &alpha, a, cublasInt(lda, "lda"), strideA, b, cublasInt(ldb, "ldb"),
        strideB, &beta, c, cublasInt(ldc, "ldc"), strideC, cublasInt(batch, "heads")));
}
} // namespace

void CudaBackend::layerNormForward(const LayerNormGeometry& g, const float* x, const float* gamma, const float* beta,
                                   float* y, float* savedMean, float* savedInvStd)
{
    activate();
    cuda_kernels::layerNormForward(stream_.get(), g, x, gamma, beta, y, savedMean, savedInvStd);
}

void CudaBackend::layerNormBackward(const LayerNormGeometry& g, const float* x, const float* gamma,
                                    const float* savedMean, const float* savedInvStd, const float* dy, float* dx,
                                    float* gradGamma, float* gradBeta)
{
    activate();
    if (dx != nullptr)
        cuda_kernels::layerNormBackwardData(stream_.get(), g, x, gamma, savedMean, savedInvStd, dy, dx);
    if (gradGamma != nullptr)
        cuda_kernels::layerNormParameterGradients(stream_.get(), g, x, savedMean, savedInvStd, dy, gradGamma, gradBeta);
}

void CudaBackend::geluForward(int64_t count, const float* x, float* y)
{
    activate();
    cuda_kernels::geluForward(stream_.get(), count, x, y);
}

void CudaBackend::geluBackward(int64_t count, const float* x, const float* dy, float* dx)
{
    activate();
    cuda_kernels::geluBackward(stream_.get(), count, x, dy, dx);
}

void CudaBackend::embeddingForward(int64_t rows, int64_t width, int64_t vocabulary, const float* ids,
                                   const float* table, float* y)
{
    // The ids are checked on the host (the CPU's error for a bad one): a
    // kernel could only read out of bounds. N·T floats, copied and waited for.
    std::vector<float> hostIds(static_cast<size_t>(rows));
    copyToHost(hostIds.data(), ids, rows * int64_t(sizeof(float)));
    for (int64_t row = 0; row < rows; ++row)
        checkedTokenId(hostIds[size_t(row)], vocabulary, row);
    activate();
    cuda_kernels::embeddingForward(stream_.get(), rows, width, ids, table, y);
}

void CudaBackend::embeddingBackward(int64_t rows, int64_t width, int64_t, const float* ids, const float* dy,
                                    float* gradTable)
{
    activate(); // (the ids were checked by the forward of the same batch)
    cuda_kernels::embeddingBackward(stream_.get(), rows, width, ids, dy, gradTable);
}

void CudaBackend::causalAttentionForward(const AttentionGeometry& g, const float* qkv, float* out, float* logSumExp)
{
    activate();
    const int64_t t = g.tokens, d = g.headDim, h = g.heads, width = g.width(), stride = 3 * width;
    const float scale = 1.0f / std::sqrt(float(d));
    attentionScores_.reserve(h * t * t * int64_t(sizeof(float)));
    attentionScoreGradients_.reserve(h * t * t * int64_t(sizeof(float))); // (the softmax's scratch here)
    float* scores = attentionScores_.as<float>();
    for (int64_t n = 0; n < g.batch; ++n) {
        const float* query = qkv + n * t * stride;
        const float* key = query + width;
        const float* value = query + 2 * width;
        headProducts(cublas_.get(), true, false, t, t, d, scale, key, stride, d, query, stride, d, scores, t, t * t, h);
        cuda_kernels::causalSoftmaxRows(stream_.get(), h * t, t, scores, attentionScoreGradients_.as<float>(),
                                        logSumExp + n * h * t);
        headProducts(cublas_.get(), false, false, d, t, t, 1.0f, value, stride, d, scores, t, t * t,
                     out + n * t * width, width, d, h);
    }
}

void CudaBackend::causalAttentionBackward(const AttentionGeometry& g, const float* qkv, const float* out,
                                          const float* logSumExp, const float* gradOut, float* gradQkv)
{
    activate();
    const int64_t t = g.tokens, d = g.headDim, h = g.heads, width = g.width(), stride = 3 * width;
    const float scale = 1.0f / std::sqrt(float(d));
    attentionScores_.reserve(h * t * t * int64_t(sizeof(float)));
    attentionScoreGradients_.reserve(h * t * t * int64_t(sizeof(float)));
    float* probabilities = attentionScores_.as<float>();
    float* gradScores = attentionScoreGradients_.as<float>();
    for (int64_t n = 0; n < g.batch; ++n) {
        const float* query = qkv + n * t * stride;
        const float* key = query + width;
        const float* value = query + 2 * width;
        const float* gradOutSample = gradOut + n * t * width;
        float* gradQuery = gradQkv + n * t * stride;
        float* gradKey = gradQuery + width;
        float* gradValue = gradQuery + 2 * width;
        headProducts(cublas_.get(), true, false, t, t, d, scale, key, stride, d, query, stride, d, probabilities, t,
                     t * t, h);
        cuda_kernels::causalProbabilityRows(stream_.get(), h * t, t, logSumExp + n * h * t, probabilities);
        headProducts(cublas_.get(), false, true, d, t, t, 1.0f, gradOutSample, width, d, probabilities, t, t * t,
                     gradValue, stride, d, h);
        headProducts(cublas_.get(), true, false, t, t, d, 1.0f, value, stride, d, gradOutSample, width, d, gradScores,
                     t, t * t, h);
        cuda_kernels::attentionScoreGradientRows(stream_.get(), g, gradOutSample, out + n * t * width, probabilities,
                                                 gradScores);
        headProducts(cublas_.get(), false, false, d, t, t, scale, key, stride, d, gradScores, t, t * t, gradQuery,
                     stride, d, h);
        headProducts(cublas_.get(), false, true, d, t, t, scale, query, stride, d, gradScores, t, t * t, gradKey,
                     stride, d, h);
    }
}

} // namespace lpm
