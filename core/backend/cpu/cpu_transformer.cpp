// CpuBackend operations of transformer layers: layer normalisation, GELU,
// embedding lookup and causal multi-head attention.
//
// Determinism: rows (layer norm), elements (GELU) and (sample, head) pairs
// (attention) are independent pieces, each computed by one thread the same
// way whichever thread takes it. Sums across rows (the layer norm's gamma and
// beta gradients, the embedding's scatter) run in row order on one thread.
#include <cblas.h>

#include <cmath>
#include <string>

#include "backend/cpu/cpu_backend.h"
#include "backend/transformer_rows.h"
#include "tensor/error.h"

namespace lpm {

namespace {
// Scratch slots of the attention (after the convolution's three).
enum AttentionScratch : int { kScores = 3, kScoreGradients = 4 };

// Pointers of one (sample, head) pair into the attention's tensors.
struct HeadView {
    const float* query; // T×D, row stride 3C; key at +C, value at +2C
    const float* key;
    const float* value;
    int64_t qkvStride; // 3C
    int64_t outOffset; // of the head's T×D block in (N, T, C), row stride C
    int64_t qkvOffset; // of the query block in (N, T, 3C)
};

HeadView headView(const AttentionGeometry& g, int64_t pair, const float* qkv)
{
    const int64_t n = pair / g.heads, h = pair % g.heads, width = g.width();
    HeadView view;
    view.qkvStride = 3 * width;
    view.qkvOffset = n * g.tokens * 3 * width + h * g.headDim;
    view.query = qkv + view.qkvOffset;
    view.key = view.query + width;
    view.value = view.query + 2 * width;
    view.outOffset = n * g.tokens * width + h * g.headDim;
    return view;
}

// scores (T×T) = Q·Kᵀ/√D of one head.
void headScores(const AttentionGeometry& g, const HeadView& view, float* scores)
{
    const int t = int(g.tokens), d = int(g.headDim), stride = int(view.qkvStride);
    const float scale = 1.0f / std::sqrt(float(g.headDim));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t, t, d, scale, view.query, stride, view.key, stride, 0.0f,
                scores, t);
}
} // namespace

void CpuBackend::layerNormForward(const LayerNormGeometry& g, const float* x, const float* gamma, const float* beta,
                                  float* y, float* savedMean, float* savedInvStd)
{
    const int64_t features = g.features;
    team_.parallelFor(g.rows, [&](int64_t begin, int64_t end, int) {
        for (int64_t row = begin; row < end; ++row)
            layerNormRowForward(features, g.epsilon, x + row * features, gamma, beta, y + row * features,
                                savedMean + row, savedInvStd + row);
    });
}

void CpuBackend::layerNormBackward(const LayerNormGeometry& g, const float* x, const float* gamma,
                                   const float* savedMean, const float* savedInvStd, const float* dy, float* dx,
                                   float* gradGamma, float* gradBeta)
{
    const int64_t features = g.features;
    if (dx != nullptr) {
        team_.parallelFor(g.rows, [&](int64_t begin, int64_t end, int) {
            for (int64_t row = begin; row < end; ++row)
                layerNormRowBackward(features, x + row * features, gamma, savedMean[row], savedInvStd[row],
                                     dy + row * features, dx + row * features);
        });
    }
    if (gradGamma != nullptr) {
        for (int64_t row = 0; row < g.rows; ++row) {
            const float* in = x + row * features;
            const float* gradOut = dy + row * features;
            const float mean = savedMean[row], invStd = savedInvStd[row];
            for (int64_t f = 0; f < features; ++f) {
                gradGamma[f] += gradOut[f] * ((in[f] - mean) * invStd);
                gradBeta[f] += gradOut[f];
            }
        }
    }
}

void CpuBackend::geluForward(int64_t count, const float* x, float* y)
{
    forRange(count, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            y[i] = geluValue(x[i]);
    });
}

void CpuBackend::geluBackward(int64_t count, const float* x, const float* dy, float* dx)
{
    forRange(count, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            dx[i] = dy[i] * geluSlope(x[i]);
    });
}

void CpuBackend::embeddingForward(int64_t rows, int64_t width, int64_t vocabulary, const float* ids, const float* table,
                                  float* y)
{
    for (int64_t row = 0; row < rows; ++row) {
        const float* from = table + checkedTokenId(ids[row], vocabulary, row) * width;
        std::copy(from, from + width, y + row * width);
    }
}

void CpuBackend::embeddingBackward(int64_t rows, int64_t width, int64_t vocabulary, const float* ids, const float* dy,
                                   float* gradTable)
{
    for (int64_t row = 0; row < rows; ++row) {
        float* to = gradTable + checkedTokenId(ids[row], vocabulary, row) * width;
        const float* from = dy + row * width;
        for (int64_t f = 0; f < width; ++f)
            to[f] += from[f];
    }
}

void CpuBackend::causalAttentionForward(const AttentionGeometry& g, const float* qkv, float* out, float* logSumExp)
{
    // One (sample, head) pair per piece; its T×T scores are the only ones a
    // thread holds at a time.
    const int t = int(g.tokens), d = int(g.headDim), width = int(g.width());
    team_.parallelFor(g.batch * g.heads, [&](int64_t begin, int64_t end, int member) {
        float* scores = scratch(member, kScores, g.tokens * g.tokens);
        float* terms = scratch(member, kScoreGradients, g.tokens); // (the softmax's)
        for (int64_t pair = begin; pair < end; ++pair) {
            const HeadView view = headView(g, pair, qkv);
            headScores(g, view, scores);
            for (int64_t i = 0; i < g.tokens; ++i)
                logSumExp[pair * g.tokens + i] = causalSoftmaxRow(i, g.tokens, scores + i * g.tokens, terms);
            // out block (T×D) = P·V.
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t, d, t, 1.0f, scores, t, view.value,
                        int(view.qkvStride), 0.0f, out + view.outOffset, width);
        }
    });
}

void CpuBackend::causalAttentionBackward(const AttentionGeometry& g, const float* qkv, const float* out,
                                         const float* logSumExp, const float* gradOut, float* gradQkv)
{
    // Per (sample, head), the probabilities are recomputed from the saved
    // log-normalisers: P = exp(S − lse) below the diagonal. Then
    //   dV = Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ⊙ (dP − rowsum(dO ⊙ O)),
    //   dQ = dS·K/√D,  dK = dSᵀ·Q/√D.
    const int t = int(g.tokens), d = int(g.headDim), width = int(g.width());
    const float scale = 1.0f / std::sqrt(float(g.headDim));
    team_.parallelFor(g.batch * g.heads, [&](int64_t begin, int64_t end, int member) {
        float* probabilities = scratch(member, kScores, g.tokens * g.tokens);
        float* gradScores = scratch(member, kScoreGradients, g.tokens * g.tokens);
        for (int64_t pair = begin; pair < end; ++pair) {
            const HeadView view = headView(g, pair, qkv);
            const float* rowLogSumExp = logSumExp + pair * g.tokens;
            const int stride = int(view.qkvStride);
            const float* gradOutBlock = gradOut + view.outOffset;
            const float* outBlock = out + view.outOffset;
            float* gradQuery = gradQkv + view.qkvOffset;
            float* gradKey = gradQuery + width;
            float* gradValue = gradQuery + 2 * width;
            headScores(g, view, probabilities);
            for (int64_t i = 0; i < g.tokens; ++i)
                causalProbabilitiesRow(i, g.tokens, rowLogSumExp[i], probabilities + i * g.tokens);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, t, d, t, 1.0f, probabilities, t, gradOutBlock, width,
                        0.0f, gradValue, stride);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t, t, d, 1.0f, gradOutBlock, width, view.value, stride,
                        0.0f, gradScores, t);
            for (int64_t i = 0; i < g.tokens; ++i)
                attentionScoreGradientRow(i, g.tokens, g.headDim, gradOutBlock + i * width, outBlock + i * width,
                                          probabilities + i * g.tokens, gradScores + i * g.tokens);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t, d, t, scale, gradScores, t, view.key, stride,
                        0.0f, gradQuery, stride);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, t, d, t, scale, gradScores, t, view.query, stride,
                        0.0f, gradKey, stride);
        }
    });
}

} // namespace lpm
