// CpuBackend: construction, gemm, and the elementwise, loss and optimizer loops.
// Convolution, pooling and batch normalisation live in their own files.
#include "backend/cpu/cpu_backend.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "backend/cpu/onednn_convolution.h"
#include "backend/softmax_row.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

namespace lpm {

namespace {
// convolution workspaces, blocked weights, partial sums; attention scores and their gradients
constexpr int kScratchSlots = 5;

void pinBlasToOneThread()
{
    static std::once_flag once;
    std::call_once(once, [] { openblas_set_num_threads(1); });
}
} // namespace

CpuBackend::CpuBackend(int threads)
    : team_(threads), scratch_(kScratchSlots), convolutions_(std::make_unique<OneDnnConvolutions>())
{
    pinBlasToOneThread();
    for (auto& slot : scratch_)
        slot.resize(static_cast<size_t>(team_.size()));
}

CpuBackend::~CpuBackend() = default;

bool CpuBackend::supports(BackendOp) const
{
    return true; // the reference implements every operation
}

float* CpuBackend::scratch(int member, int slot, int64_t count)
{
    ScratchBuffer& buffer = scratch_[static_cast<size_t>(slot)][static_cast<size_t>(member)];
    if (buffer.capacity < count) {
        buffer.data = {allocateAligned(count), freeAligned};
        buffer.capacity = count;
    }
    return buffer.data.get();
}

void CpuBackend::gemm(bool transposeA, bool transposeB, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                      int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc)
{
    // C is cut into fixed tiles of at most kTileRows × kTileColumns, whatever the
    // thread count, and each tile is one single-threaded sgemm with the full k.
    // OpenBLAS's rounding depends on the shape it is given, so fixed tiles are
    // what keeps results independent of the number of threads.
    constexpr int64_t kTileRows = 128, kTileColumns = 1024;
    const int64_t rowTiles = (m + kTileRows - 1) / kTileRows;
    const int64_t columnTiles = (n + kTileColumns - 1) / kTileColumns;
    auto ta = transposeA ? CblasTrans : CblasNoTrans;
    auto tb = transposeB ? CblasTrans : CblasNoTrans;
    team_.parallelFor(rowTiles * columnTiles, [&](int64_t begin, int64_t end, int) {
        for (int64_t tile = begin; tile < end; ++tile) {
            const int64_t row = (tile / columnTiles) * kTileRows;
            const int64_t column = (tile % columnTiles) * kTileColumns;
            const int64_t rows = std::min(kTileRows, m - row);
            const int64_t columns = std::min(kTileColumns, n - column);
            const float* aTile = transposeA ? a + row : a + row * lda;
            const float* bTile = transposeB ? b + column * ldb : b + column;
            cblas_sgemm(CblasRowMajor, ta, tb, int(rows), int(columns), int(k), alpha, aTile, int(lda), bTile, int(ldb),
                        beta, c + row * ldc + column, int(ldc));
        }
    });
}

void CpuBackend::addRowBias(int64_t rows, int64_t features, const float* bias, float* y)
{
    for (int64_t row = 0; row < rows; ++row) {
        float* line = y + row * features;
        for (int64_t f = 0; f < features; ++f)
            line[f] += bias[f];
    }
}

void CpuBackend::accumulateColumnSums(int64_t rows, int64_t features, const float* dy, float* gradBias)
{
    for (int64_t row = 0; row < rows; ++row) {
        const float* line = dy + row * features;
        for (int64_t f = 0; f < features; ++f)
            gradBias[f] += line[f];
    }
}

void CpuBackend::reluForward(int64_t count, const float* x, float* y)
{
    forRange(count, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
    });
}

void CpuBackend::reluBackward(int64_t count, const float* y, const float* dy, float* dx)
{
    forRange(count, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    });
}

void CpuBackend::addInPlace(int64_t count, const float* x, float* y)
{
    forRange(count, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            y[i] += x[i];
    });
}

void CpuBackend::scale(int64_t count, float alpha, float* x)
{
    forRange(count, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            x[i] *= alpha;
    });
}

void CpuBackend::dropoutForward(int64_t count, float p, uint64_t key, int64_t firstIndex, const float* x, float* y,
                                float* mask)
{
    const float keepScale = 1.0f / (1.0f - p);
    forRange(count, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            mask[i] = uniformAt(key, static_cast<uint64_t>(firstIndex + i)) >= p ? keepScale : 0.0f;
            y[i] = x[i] * mask[i];
        }
    });
}

void CpuBackend::multiply(int64_t count, const float* a, const float* b, float* y)
{
    forRange(count, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            y[i] = a[i] * b[i];
    });
}

double CpuBackend::softmaxCrossEntropy(int64_t rows, int64_t classes, const float* logits, const int32_t* labels,
                                       float scale, float* gradLogits, int64_t* correctCount)
{
    double lossSum = 0.0;
    int64_t correct = 0;
    for (int64_t row = 0; row < rows; ++row) {
        const SoftmaxRowResult result =
            softmaxCrossEntropyRow(classes, logits + row * classes, labels[row], scale, gradLogits + row * classes);
        lossSum += result.loss;
        correct += result.correct ? 1 : 0;
    }
    if (correctCount != nullptr)
        *correctCount = correct;
    return lossSum;
}

void CpuBackend::sgdUpdate(int64_t count, const SgdHyper& h, float* weights, const float* grads, float* velocity)
{
    // Hyperparameters in locals and one loop per variant: with `h` read through
    // a reference that the stores might alias, the compiler would reload it and
    // keep the branches in every iteration instead of vectorising.
    const float rate = h.learningRate, momentum = h.momentum, decay = h.weightDecay;
    const bool nesterov = h.nesterov;
    forRange(count, [=](int64_t begin, int64_t end) {
        float* __restrict w = weights;
        const float* __restrict grad = grads;
        float* __restrict v = velocity;
        if (momentum == 0.0f) {
            for (int64_t i = begin; i < end; ++i)
                w[i] -= rate * (grad[i] + decay * w[i]);
        } else if (!nesterov) {
            for (int64_t i = begin; i < end; ++i) {
                v[i] = momentum * v[i] + (grad[i] + decay * w[i]);
                w[i] -= rate * v[i];
            }
        } else {
            for (int64_t i = begin; i < end; ++i) {
                const float g = grad[i] + decay * w[i];
                v[i] = momentum * v[i] + g;
                w[i] -= rate * (g + momentum * v[i]);
            }
        }
    });
}

void CpuBackend::adamUpdate(int64_t count, const AdamHyper& h, float* weights, const float* grads, float* firstMoment,
                            float* secondMoment)
{
    const AdamStepScales scales = adamStepScales(h);
    const float stepSize = scales.stepSize, rootCorrection2 = scales.rootCorrection2;
    const float beta1 = h.beta1, beta2 = h.beta2, epsilon = h.epsilon;
    const float decay = scales.gradientDecay, keep = scales.weightKeep;
    forRange(count, [=](int64_t begin, int64_t end) {
        float* __restrict w = weights;
        const float* __restrict grad = grads;
        float* __restrict m = firstMoment;
        float* __restrict v = secondMoment;
        for (int64_t i = begin; i < end; ++i) {
            const float g = grad[i] + decay * w[i];
            w[i] *= keep;
            m[i] = beta1 * m[i] + (1.0f - beta1) * g;
            v[i] = beta2 * v[i] + (1.0f - beta2) * g * g;
            const float denominator = std::sqrt(v[i]) / rootCorrection2 + epsilon;
            w[i] -= stepSize * m[i] / denominator;
        }
    });
}

} // namespace lpm
