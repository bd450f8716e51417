// The CUDA backend: the Backend interface on one GPU, on one stream of its
// own. Matrix products go to cuBLAS; convolution and batch normalisation to
// cuDNN (algorithms chosen once per shape, deterministic ones only, within a
// workspace limit); the rest are this backend's own kernels (cuda_kernels.cu).
// All pointers passed to it are device pointers (see allocateBytes and the
// copies). Every call is enqueued on the stream and returns at once, except
// the loss (which returns its sum) and the copies to the host (which wait).
// An upload copies the host data into a pinned staging buffer and queues the
// transfer from there, so the host goes on queuing kernels while the GPU
// still finishes earlier work; the next upload first waits until the
// staging buffer has been read.
//
// TF32 is off by default, so results compare with the CPU reference in full
// fp32 (cuBLAS default math, cuDNN FMA math); options.tf32 turns it on.
//
// Threading: like every Backend, one thread at a time; each call makes the
// backend's device current on the calling thread.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "backend/backend.h"
#include "backend/cuda/device_buffer.h"
#include "backend/cuda/owned_handle.h"

namespace lpm {

struct CudaBackendOptions {
    int device = 0;
    bool tf32 = false;
    // Uploads (copyFromHost) go through a pinned staging buffer and return
    // without waiting for the GPU; false: a plain copy from pageable memory,
    // waited for (for side-by-side timing).
    bool stagedUploads = true;
    int64_t workspaceLimitBytes = int64_t(256) << 20; // cuDNN convolution workspace
};

class CudaBackend final : public Backend {
public:
    explicit CudaBackend(const CudaBackendOptions& options = {});
    ~CudaBackend() override;

    std::string name() const override;
    bool supports(BackendOp op) const override;
    int threadCount() const override { return 1; }
    void synchronize() override;
    int markTime() override; // a CUDA event recorded on the stream
    double secondsBetween(int from, int to) const override;
    void forgetTimesAfter(int mark) override;
    cudaStream_t stream() const { return stream_.get(); }
    int device() const { return options_.device; }

    bool usesHostMemory() const override { return false; }
    // A caching allocator: released blocks are kept by size and handed out
    // again without cudaFree (which would wait for the whole device). Reuse is
    // safe because every use of a block is ordered on this backend's one stream.
    void* allocateBytes(int64_t bytes) override;
    void releaseBytes(void* data, int64_t bytes) noexcept override;
    void copyFromHost(void* destination, const void* hostSource, int64_t bytes) override;
    void copyToHost(void* hostDestination, const void* source, int64_t bytes) override;
    void copyWithin(void* destination, const void* source, int64_t bytes) override;
    bool sharesMemoryWith(const MemoryResource& other) const override; // another CudaBackend on the same GPU
    // The same, or on a GPU this one has peer access to.
    bool canReadDirectly(const MemoryResource& other) const override;
    bool canCopyDirectly(const MemoryResource& other) const override; // any CudaBackend (a peer copy)
    void zeroBytes(void* data, int64_t bytes) override;

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

    // The transformer operations (cuda_transformer.cpp).
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
    using TensorDescriptor = OwnedHandle<cudnnTensorDescriptor_t, cudnnDestroyTensorDescriptor>;
    using FilterDescriptor = OwnedHandle<cudnnFilterDescriptor_t, cudnnDestroyFilterDescriptor>;
    using ConvolutionDescriptor = OwnedHandle<cudnnConvolutionDescriptor_t, cudnnDestroyConvolutionDescriptor>;

    // One convolution shape: its descriptors and chosen algorithms (cuda_conv.cpp).
    struct ConvolutionPlan {
        TensorDescriptor input, output, bias;
        FilterDescriptor weight;
        ConvolutionDescriptor convolution;
        cudnnConvolutionFwdAlgo_t forward{};
        cudnnConvolutionBwdDataAlgo_t backwardData{};
        cudnnConvolutionBwdFilterAlgo_t backwardFilter{};
    };
    using ConvolutionKey = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t>;

    void activate() const;              // makes this backend's device current on the calling thread
    void enablePeerAccess(int devices); // to every GPU this one can reach
    ConvolutionPlan& convolutionPlan(const Conv2dGeometry& g);
    static TensorDescriptor makeTensorDescriptor(int64_t n, int64_t c, int64_t h, int64_t w);

    CudaBackendOptions options_;
    OwnedHandle<cudaStream_t, cudaStreamDestroy> stream_;
    OwnedHandle<cublasHandle_t, cublasDestroy> cublas_;
    OwnedHandle<cudnnHandle_t, cudnnDestroy> cudnn_;
    DeviceBuffer workspace_;
    DeviceBuffer attentionScores_, attentionScoreGradients_; // one sample's heads·T·T scores (attention)
    DeviceBuffer lossRows_;                                  // per-row loss (double) and correct flag (int32)
    PinnedHostBuffer lossRowsHost_;
    PinnedHostBuffer uploadStaging_;                        // stagedUploads: the last upload's source
    OwnedHandle<cudaEvent_t, cudaEventDestroy> uploadRead_; // recorded once the staging buffer has been read
    std::map<ConvolutionKey, ConvolutionPlan> convolutionPlans_;
    std::vector<bool> peerAccess_; // [GPU]: this GPU's kernels can read its memory
    std::vector<OwnedHandle<cudaEvent_t, cudaEventDestroy>> timeStamps_; // markTime's events, reused
    int timeStampsUsed_ = 0;
    std::mutex freeBlocksMutex_; // tensors may be released from another thread than the caller's
    std::unordered_map<int64_t, std::vector<void*>> freeBlocks_; // by rounded size in bytes
};

} // namespace lpm
