// The reference backend: host memory, OpenBLAS sgemm (one BLAS thread per
// call), oneDNN's convolution kernels (one OpenMP thread per call) and plain
// loops, parallelised over this backend's own ThreadTeam.
//
// Threading contract: a CpuBackend uses exactly `threads` threads (the caller
// plus threads − 1 workers it owns). OpenBLAS is pinned to one thread once,
// process-wide, so concurrent backends on different threads never oversubscribe.
//
// Results are bit-identical for every thread count: work is cut into pieces
// fixed by the problem's shape alone (gemm tiles, convolution sample groups,
// channels, planes), each piece is computed the same way whichever thread
// takes it, and partial sums are combined in a fixed order. (OpenBLAS's
// rounding depends on the shape of each call, so the pieces, not just the
// arithmetic, must not depend on the thread count.)
#pragma once

#include <memory>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/thread_team.h"

namespace lpm {

class OneDnnConvolutions;
enum class WeightsFor;

// The convolution kernels CpuBackend runs on this CPU: "oneDNN 2.6.3
// (avx512_core)", the library and the instruction set of its jit kernels.
std::string cpuConvolutionKernels();

class CpuBackend final : public Backend {
public:
    explicit CpuBackend(int threads = 1);
    ~CpuBackend() override;

    std::string name() const override { return "cpu"; }
    bool supports(BackendOp op) const override;
    int threadCount() const override { return team_.size(); }
    void synchronize() override {}

    void gemm(bool transposeA, bool transposeB, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
              int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) override;
    void addRowBias(int64_t rows, int64_t features, const float* bias, float* y) override;
    void accumulateColumnSums(int64_t rows, int64_t features, const float* dy, float* gradBias) override;

    void conv2dForward(const Conv2dGeometry& g, const float* input, const float* weight, const float* bias,
                       float* output) override;
    void conv2dBackward(const Conv2dGeometry& g, const float* input, const float* weight, const float* gradOutput,
                        float* gradInput, float* gradWeight, float* gradBias) override;
    void conv2dBackwardData(const Conv2dGeometry& g, const float* weight, const float* gradOutput, float* gradInput,
                            bool hasBias) override;

    void maxPool2dForward(const Pool2dGeometry& g, const float* input, float* output, int32_t* argmax) override;
    void maxPool2dBackward(const Pool2dGeometry& g, const float* gradOutput, const int32_t* argmax,
                           float* gradInput) override;
    void avgPool2dForward(const Pool2dGeometry& g, const float* input, float* output) override;
    void avgPool2dBackward(const Pool2dGeometry& g, const float* gradOutput, float* gradInput) override;

    void reluForward(int64_t count, const float* x, float* y) override;
    void reluBackward(int64_t count, const float* y, const float* dy, float* dx) override;
    void addInPlace(int64_t count, const float* x, float* y) override;
    void scale(int64_t count, float alpha, float* x) override;
    void dropoutForward(int64_t count, float p, uint64_t key, int64_t firstIndex, const float* x, float* y,
                        float* mask) override;
    void multiply(int64_t count, const float* a, const float* b, float* y) override;

    void batchNormForwardTraining(const BatchNormGeometry& g, const float* x, const float* gamma, const float* beta,
                                  float* y, float* savedMean, float* savedInvStd, float* runningMean,
                                  float* runningVar) override;
    void batchNormForwardInference(const BatchNormGeometry& g, const float* x, const float* gamma, const float* beta,
                                   const float* runningMean, const float* runningVar, float* y) override;
    void batchNormBackward(const BatchNormGeometry& g, const float* x, const float* gamma, const float* savedMean,
                           const float* savedInvStd, const float* dy, float* dx, float* gradGamma,
                           float* gradBeta) override;

    void layerNormForward(const LayerNormGeometry& g, const float* x, const float* gamma, const float* beta, float* y,
                          float* savedMean, float* savedInvStd) override;
    void layerNormBackward(const LayerNormGeometry& g, const float* x, const float* gamma, const float* savedMean,
                           const float* savedInvStd, const float* dy, float* dx, float* gradGamma,
                           float* gradBeta) override;
    void geluForward(int64_t count, const float* x, float* y) override;
    void geluBackward(int64_t count, const float* x, const float* dy, float* dx) override;
    void embeddingForward(int64_t rows, int64_t width, int64_t vocabulary, const float* ids, const float* table,
                          float* y) override;
    void embeddingBackward(int64_t rows, int64_t width, int64_t vocabulary, const float* ids, const float* dy,
                           float* gradTable) override;
    void causalAttentionForward(const AttentionGeometry& g, const float* qkv, float* out, float* logSumExp) override;
    void causalAttentionBackward(const AttentionGeometry& g, const float* qkv, const float* out, const float* logSumExp,
                                 const float* gradOut, float* gradQkv) override;

    double softmaxCrossEntropy(int64_t rows, int64_t classes, const float* logits, const int32_t* labels, float scale,
                               float* gradLogits, int64_t* correctCount) override;

    void sgdUpdate(int64_t count, const SgdHyper& h, float* weights, const float* grads, float* velocity) override;
    void adamUpdate(int64_t count, const AdamHyper& h, float* weights, const float* grads, float* firstMoment,
                    float* secondMoment) override;

private:
    struct ConvolutionGroups;
    // Cuts a convolution's batch into fixed groups and readies their primitives,
    // workspaces and weights in the layout `use` needs (cpu_conv.cpp).
    ConvolutionGroups convolutionGroups(const Conv2dGeometry& g, const float* weight, bool hasBias, WeightsFor use);
    // Both halves of the backward, or one: the input gradient unless gradInput
    // is null, the weight (and bias) gradients unless gradWeight is null.
    void convolutionBackward(const Conv2dGeometry& g, const float* input, const float* weight, const float* gradOutput,
                             float* gradInput, float* gradWeight, float* gradBias, bool hasBias);
    // Grows member `member`'s scratch buffer to at least `count` floats and returns it.
    float* scratch(int member, int slot, int64_t count);
    // Elementwise loops: body(begin, end) over [0, count) in parallel chunks.
    template <typename Body>
    void forRange(int64_t count, Body&& body)
    {
        constexpr int64_t kMinChunk = 16384; // below this, waking workers costs more than it saves
        if (team_.size() == 1 || count < 2 * kMinChunk) {
            body(int64_t{0}, count);
            return;
        }
        team_.parallelFor(count, [&](int64_t begin, int64_t end, int) { body(begin, end); });
    }

    ThreadTeam team_;
    struct ScratchBuffer {
        std::unique_ptr<float[], void (*)(float*)> data{nullptr, nullptr};
        int64_t capacity = 0;
    };
    // scratch_[slot][member]
    std::vector<std::vector<ScratchBuffer>> scratch_;
    std::unique_ptr<OneDnnConvolutions> convolutions_;
};

} // namespace lpm
