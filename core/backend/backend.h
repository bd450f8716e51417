// The narrow compute interface every layer and optimizer calls. One Backend
// object serves one worker (one pipeline stage, or the sequential trainer):
// its methods are called from one thread at a time, and several Backend
// objects may run concurrently on different threads.
//
// All buffers are float32, row-major, in the backend's memory space (host for
// the CPU backend). Image tensors are (N, C, H, W). "accumulate" arguments are
// added to (+=), never overwritten: gradients sum over micro-batches.
#pragma once

#include <cstdint>
#include <string>

#include "tensor/host_device.h"
#include "tensor/memory_space.h"

namespace lpm {

enum class BackendOp {
    Gemm,
    Conv2d,
    MaxPool2d,
    AvgPool2d,
    Relu,
    BatchNorm2d,
    Dropout,
    SoftmaxCrossEntropy,
    Elementwise,
    SgdUpdate,
    AdamUpdate,
    LayerNorm,
    Gelu,
    Embedding,
    CausalAttention,
};

// A 2-D convolution over (N, C, H, W) input with square stride and padding.
struct Conv2dGeometry {
    int64_t batch = 0;
    int64_t inChannels = 0, inHeight = 0, inWidth = 0;
    int64_t outChannels = 0;
    int64_t kernelHeight = 0, kernelWidth = 0;
    int64_t stride = 1, padding = 0;

    LPM_HOST_DEVICE int64_t outHeight() const { return (inHeight + 2 * padding - kernelHeight) / stride + 1; }
    LPM_HOST_DEVICE int64_t outWidth() const { return (inWidth + 2 * padding - kernelWidth) / stride + 1; }
};

// Max or average pooling window over (N, C, H, W); padding is not supported
// (the zoo does not need it), windows that run past the edge are dropped (floor).
struct Pool2dGeometry {
    int64_t batch = 0, channels = 0, inHeight = 0, inWidth = 0;
    int64_t kernel = 2, stride = 2;

    LPM_HOST_DEVICE int64_t outHeight() const { return (inHeight - kernel) / stride + 1; }
    LPM_HOST_DEVICE int64_t outWidth() const { return (inWidth - kernel) / stride + 1; }
};

// Per-channel batch normalisation over (N, C, H, W): statistics over N·H·W.
struct BatchNormGeometry {
    int64_t batch = 0, channels = 0, spatial = 0; // spatial = H·W
    float epsilon = 1e-5f;
    float momentum = 0.1f; // running = (1 − momentum)·running + momentum·batch
};

// Layer normalisation of each row of a (rows, features) view: statistics over
// the features of one row (the last dimension of an (N, T, C) tensor).
struct LayerNormGeometry {
    int64_t rows = 0, features = 0;
    float epsilon = 1e-5f;
};

// Causal multi-head self-attention over a fused projection. qkv is
// (N, T, 3C) with C = heads·headDim: in each row the queries, keys and values
// lie side by side, head h's query at columns [h·D, (h+1)·D), its key at
// C + h·D and its value at 2C + h·D (D = headDim). The output (N, T, C) holds
// head h's weighted values at columns [h·D, (h+1)·D). Scores are scaled by
// 1/√D; token t attends to tokens 0..t.
struct AttentionGeometry {
    int64_t batch = 0, tokens = 0, heads = 0, headDim = 0;

    LPM_HOST_DEVICE int64_t width() const { return heads * headDim; }
};

struct SgdHyper {
    float learningRate = 0.01f;
    float momentum = 0.0f;
    float weightDecay = 0.0f;
    bool nesterov = false;
};

struct AdamHyper {
    float learningRate = 1e-3f;
    float beta1 = 0.9f, beta2 = 0.999f;
    float epsilon = 1e-8f;
    float weightDecay = 0.0f;
    // Adam adds the decay to the gradient (L2); AdamW (decoupled) shrinks the
    // weights by lr·decay before the step instead, and the moments see the
    // gradient alone.
    bool decoupledWeightDecay = false;
    int64_t step = 1; // 1-based step count for bias correction
};

// The scales of one Adam step, computed once on the host:
// g = grad + gradientDecay·w; w = weightKeep·w; then
// w −= stepSize·m / (sqrt(v)/rootCorrection2 + ε), stepSize = lr/(1 − β1^t),
// rootCorrection2 = sqrt(1 − β2^t) (in double). Adam: gradientDecay = decay,
// weightKeep = 1; AdamW: gradientDecay = 0, weightKeep = 1 − lr·decay.
struct AdamStepScales {
    float stepSize = 0.0f;
    float rootCorrection2 = 1.0f;
    float gradientDecay = 0.0f;
    float weightKeep = 1.0f;
};
AdamStepScales adamStepScales(const AdamHyper& h);

// The token id held in `value` (row `row` of an embedding's input) as an
// index into a table of `vocabulary` rows; throws InvalidArgument naming the
// value and the row when it is not a whole number in [0, vocabulary).
int64_t checkedTokenId(float value, int64_t vocabulary, int64_t row);

// A backend is also the memory resource it computes in (tensor/memory_space.h);
// for one that computes on the host, memorySpaceOf() gives the host space.
class Backend : public MemoryResource {
public:
    virtual ~Backend() = default;

    std::string name() const override = 0;
    virtual bool supports(BackendOp op) const = 0;
    // Threads this backend's calls use (the CPU backend's own workers).
    virtual int threadCount() const = 0;
    // Waits until all work issued so far has finished.
    void synchronize() override = 0;

    // Device time stamps, for a backend whose work runs asynchronously (a
    // GPU's stream). markTime() queues a stamp behind the work issued so far
    // and returns its number; once synchronize() has returned,
    // secondsBetween(a, b) is the device time from stamp a to stamp b.
    // forgetTimesAfter(a) lets the numbers after a be reused. A backend whose
    // calls have finished when they return keeps none: markTime() is -1.
    virtual int markTime() { return -1; }
    virtual double secondsBetween(int /*from*/, int /*to*/) const { return 0.0; }
    virtual void forgetTimesAfter(int /*mark*/) {}

    // Memory in this backend's space: host memory for the CPU backend, the
    // GPU's for CUDA (MemoryResource's operations). The defaults are the
    // host's: 64-byte aligned blocks and memcpy. Tensors and MemoryBlocks in
    // the memory of a backend that does not use the host's must not outlive it.
    virtual bool usesHostMemory() const { return true; }
    void* allocateBytes(int64_t bytes) override { return MemorySpace::host().allocate(bytes); }
    void releaseBytes(void* data, int64_t bytes) noexcept override { MemorySpace::host().release(data, bytes); }
    void copyFromHost(void* destination, const void* hostSource, int64_t bytes) override
    {
        MemorySpace::host().copyFromHost(destination, hostSource, bytes);
    }
    void copyToHost(void* hostDestination, const void* source, int64_t bytes) override
    {
        MemorySpace::host().copyToHost(hostDestination, source, bytes);
    }
    void copyWithin(void* destination, const void* source, int64_t bytes) override
    {
        MemorySpace::host().copyWithin(destination, source, bytes);
    }
    void zeroBytes(void* data, int64_t bytes) override { MemorySpace::host().zero(data, bytes); }
    // True when this backend and `other` use the same memory (two CUDA
    // backends, two streams, on one GPU).
    virtual bool sharesMemoryWith(const MemoryResource& other) const { return &other == this; }
    // True when this backend's kernels can read `other`'s memory directly (the
    // same memory, or another GPU's with peer access).
    virtual bool canReadDirectly(const MemoryResource& other) const { return sharesMemoryWith(other); }
    // True when copyWithin() can copy from `other`'s memory without going
    // through the host (any two GPUs: the driver stages the copy itself where
    // they have no peer access); false sends copies through the host.
    bool canCopyDirectly(const MemoryResource& other) const override { return canReadDirectly(other); }

    // C(m×n) = alpha·op(A)·op(B) + beta·C, row-major; op(A) is m×k, op(B) is k×n.
    virtual void gemm(bool transposeA, bool transposeB, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                      int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) = 0;

    // y(N,F) += bias(F) on every row.
    virtual void addRowBias(int64_t rows, int64_t features, const float* bias, float* y) = 0;
    // gradBias(F) += Σ_rows dy(N,F).
    virtual void accumulateColumnSums(int64_t rows, int64_t features, const float* dy, float* gradBias) = 0;

    // output (N, Cout, Ho, Wo); weight (Cout, Cin, Kh, Kw); bias (Cout) or null.
    virtual void conv2dForward(const Conv2dGeometry& g, const float* input, const float* weight, const float* bias,
                               float* output) = 0;
    // gradInput (overwritten; null to skip), gradWeight and gradBias (accumulated; bias may be null).
    virtual void conv2dBackward(const Conv2dGeometry& g, const float* input, const float* weight,
                                const float* gradOutput, float* gradInput, float* gradWeight, float* gradBias) = 0;
    // conv2dBackward's input gradient alone (a split backward's B; its W is
    // conv2dBackward with gradInput null), the same bits. hasBias: whether the
    // convolution has a bias (a backend may choose its kernels by it).
    virtual void conv2dBackwardData(const Conv2dGeometry& g, const float* weight, const float* gradOutput,
                                    float* gradInput, bool hasBias) = 0;

    // argmax (N, C, Ho, Wo) holds the flat input index within each (n, c) plane.
    virtual void maxPool2dForward(const Pool2dGeometry& g, const float* input, float* output, int32_t* argmax) = 0;
    // gradInput is overwritten.
    virtual void maxPool2dBackward(const Pool2dGeometry& g, const float* gradOutput, const int32_t* argmax,
                                   float* gradInput) = 0;
    virtual void avgPool2dForward(const Pool2dGeometry& g, const float* input, float* output) = 0;
    virtual void avgPool2dBackward(const Pool2dGeometry& g, const float* gradOutput, float* gradInput) = 0;

    // y = max(x, 0); x and y may alias.
    virtual void reluForward(int64_t count, const float* x, float* y) = 0;
    // dx = dy where y > 0, else 0; dy and dx may alias.
    virtual void reluBackward(int64_t count, const float* y, const float* dy, float* dx) = 0;
    // y += x.
    virtual void addInPlace(int64_t count, const float* x, float* y) = 0;
    // x *= alpha.
    virtual void scale(int64_t count, float alpha, float* x) = 0;

    // Inverted dropout: keep element i with probability 1 − p, where the draw for i is
    // uniformAt(key, firstIndex + i); kept elements are scaled by 1/(1 − p).
    // mask (count) gets the scale or 0; x and y may alias.
    virtual void dropoutForward(int64_t count, float p, uint64_t key, int64_t firstIndex, const float* x, float* y,
                                float* mask) = 0;
    // dx = dy · mask (may alias).
    virtual void multiply(int64_t count, const float* a, const float* b, float* y) = 0;

    // Training mode: normalises with batch statistics, writes savedMean/savedInvStd (C)
    // and updates runningMean/runningVar (C, unbiased variance).
    virtual void batchNormForwardTraining(const BatchNormGeometry& g, const float* x, const float* gamma,
                                          const float* beta, float* y, float* savedMean, float* savedInvStd,
                                          float* runningMean, float* runningVar) = 0;
    // Evaluation mode: normalises with the running statistics.
    virtual void batchNormForwardInference(const BatchNormGeometry& g, const float* x, const float* gamma,
                                           const float* beta, const float* runningMean, const float* runningVar,
                                           float* y) = 0;
    // dx overwritten; gradGamma, gradBeta accumulated.
    virtual void batchNormBackward(const BatchNormGeometry& g, const float* x, const float* gamma,
                                   const float* savedMean, const float* savedInvStd, const float* dy, float* dx,
                                   float* gradGamma, float* gradBeta) = 0;

    // Softmax cross-entropy over logits (N, K) with labels in [0, K). Writes
    // gradLogits = scale · (softmax − onehot) and returns Σ_n −log softmax[n, label[n]]
    // (unscaled); correctCount gets the number of rows whose argmax is the label.
    virtual double softmaxCrossEntropy(int64_t rows, int64_t classes, const float* logits, const int32_t* labels,
                                       float scale, float* gradLogits, int64_t* correctCount) = 0;

    // Layer normalisation: y = (x − mean)·invStd·gamma + beta per row, with
    // invStd = 1/√(var + ε) (biased variance); savedMean and savedInvStd (rows)
    // keep the statistics for the backward.
    virtual void layerNormForward(const LayerNormGeometry& g, const float* x, const float* gamma, const float* beta,
                                  float* y, float* savedMean, float* savedInvStd) = 0;
    // dx overwritten unless null; gradGamma and gradBeta (features) accumulated
    // unless null (a split backward's B passes only dx, its W only the two).
    virtual void layerNormBackward(const LayerNormGeometry& g, const float* x, const float* gamma,
                                   const float* savedMean, const float* savedInvStd, const float* dy, float* dx,
                                   float* gradGamma, float* gradBeta) = 0;

    // GELU, tanh approximation (GPT-2's): y = x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    // x and y may alias.
    virtual void geluForward(int64_t count, const float* x, float* y) = 0;
    // dx = dy·GELU'(x); dy and dx may alias.
    virtual void geluBackward(int64_t count, const float* x, const float* dy, float* dx) = 0;

    // Embedding lookup: y row r (width) = table row ids[r]. ids (rows) are
    // token ids held exactly in floats, each in [0, vocabulary)
    // (checkedTokenId; InvalidArgument otherwise).
    virtual void embeddingForward(int64_t rows, int64_t width, int64_t vocabulary, const float* ids, const float* table,
                                  float* y) = 0;
    // gradTable row ids[r] += dy row r, for r = 0, 1, ... in that order (rows
    // sharing an id are summed in row order, so the result is deterministic).
    virtual void embeddingBackward(int64_t rows, int64_t width, int64_t vocabulary, const float* ids, const float* dy,
                                   float* gradTable) = 0;

    // Causal attention (AttentionGeometry): out (N, T, C) and, for the
    // backward, logSumExp (N, heads, T): the log of each softmax row's normaliser.
    virtual void causalAttentionForward(const AttentionGeometry& g, const float* qkv, float* out, float* logSumExp) = 0;
    // gradQkv (N, T, 3C) overwritten, from the forward's qkv, out and logSumExp.
    virtual void causalAttentionBackward(const AttentionGeometry& g, const float* qkv, const float* out,
                                         const float* logSumExp, const float* gradOut, float* gradQkv) = 0;

    // One SGD step over a flat buffer: g += wd·w; v = μ·v + g; w −= lr·(nesterov ? g + μ·v : v).
    // velocity is unused (may be null) when momentum is 0.
    virtual void sgdUpdate(int64_t count, const SgdHyper& h, float* weights, const float* grads, float* velocity) = 0;
    // One Adam step (AdamStepScales: L2 weight decay added to the gradient, or AdamW's decoupled decay).
    virtual void adamUpdate(int64_t count, const AdamHyper& h, float* weights, const float* grads, float* firstMoment,
                            float* secondMoment) = 0;
};

// The memory space to allocate a backend's tensors in: the host's for a
// backend that computes on host memory, the backend's own otherwise.
inline MemorySpace memorySpaceOf(Backend& backend)
{
    return backend.usesHostMemory() ? MemorySpace::host() : MemorySpace::of(backend);
}

// True when `backend` computes in the memory space `space`.
inline bool usesMemoryOf(const Backend& backend, MemorySpace space)
{
    if (backend.usesHostMemory() || space.isHost())
        return backend.usesHostMemory() && space.isHost();
    return backend.sharesMemoryWith(space.resource());
}

// True when `backend`'s kernels can read memory of `space` directly: its own,
// or a peer GPU's.
inline bool readsMemoryOf(const Backend& backend, MemorySpace space)
{
    if (backend.usesHostMemory() || space.isHost())
        return usesMemoryOf(backend, space);
    return backend.canReadDirectly(space.resource());
}

} // namespace lpm
