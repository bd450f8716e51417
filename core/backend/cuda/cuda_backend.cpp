// CudaBackend: construction, memory, cuBLAS gemm, and the calls that go to
// this backend's own kernels. Convolution and batch normalisation (cuDNN)
// live in cuda_conv.cpp and cuda_batchnorm.cpp.
#include "backend/cuda/cuda_backend.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_kernels.h"

namespace lpm {

namespace {

} // namespace

CudaBackend::CudaBackend(const CudaBackendOptions& options) : options_(options)
{
    int devices = 0;
    LPM_CUDA_CHECK(cudaGetDeviceCount(&devices));
    if (options.device < 0 || options.device >= devices)
        throw InvalidArgument("CUDA backend: there is no GPU " + std::to_string(options.device) + " (this machine has "
                              + std::to_string(devices) + ")");
    activate();
    cudaStream_t stream = nullptr;
    LPM_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    stream_.reset(stream);
    cublasHandle_t cublas = nullptr;
    LPM_CUBLAS_CHECK(cublasCreate(&cublas));
    cublas_.reset(cublas);
    LPM_CUBLAS_CHECK(cublasSetStream(cublas, stream));
    LPM_CUBLAS_CHECK(cublasSetMathMode(cublas, options.tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    cudnnHandle_t cudnn = nullptr;
    LPM_CUDNN_CHECK(cudnnCreate(&cudnn));
    cudnn_.reset(cudnn);
    LPM_CUDNN_CHECK(cudnnSetStream(cudnn, stream));
    cudaEvent_t uploadRead = nullptr;
    LPM_CUDA_CHECK(cudaEventCreateWithFlags(&uploadRead, cudaEventDisableTiming));
    uploadRead_.reset(uploadRead);
    enablePeerAccess(devices);
}

void CudaBackend::enablePeerAccess(int devices)
{
    // Peer access is a property of the process's context on this GPU: the
    // first backend on it enables it, later ones find it enabled already.
    peerAccess_.assign(size_t(devices), false);
    for (int peer = 0; peer < devices; ++peer) {
        if (peer == options_.device)
            continue;
        int possible = 0;
        LPM_CUDA_CHECK(cudaDeviceCanAccessPeer(&possible, options_.device, peer));
        if (possible == 0)
            continue;
        const cudaError_t enabled = cudaDeviceEnablePeerAccess(peer, 0);
        if (enabled == cudaErrorPeerAccessAlreadyEnabled)
            (void)cudaGetLastError(); // not an error here: clear it so no later check reports it
        else
            LPM_CUDA_CHECK(enabled);
        peerAccess_[size_t(peer)] = true;
    }
}

CudaBackend::~CudaBackend()
{
    if (stream_)
        cudaStreamSynchronize(stream_.get()); // let queued work finish before its buffers go
    for (auto& [size, blocks] : freeBlocks_)
        for (void* block : blocks)
            DeviceAllocator::release(block);
}

std::string CudaBackend::name() const
{
    return "cuda:" + std::to_string(options_.device);
}

bool CudaBackend::supports(BackendOp) const
{
    return true; // every operation has its kernel (the transformer's in cuda_transformer.cpp)
}

void CudaBackend::activate() const
{
    LPM_CUDA_CHECK(cudaSetDevice(options_.device)); // cheap; no cache that other code could stale
}

void CudaBackend::synchronize()
{
    activate();
    LPM_CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
}

int CudaBackend::markTime()
{
    activate();
    if (timeStampsUsed_ == int(timeStamps_.size())) {
        cudaEvent_t event = nullptr;
        LPM_CUDA_CHECK(cudaEventCreate(&event)); // with timing
        timeStamps_.emplace_back(event);
    }
    LPM_CUDA_CHECK(cudaEventRecord(timeStamps_[size_t(timeStampsUsed_)].get(), stream_.get()));
    return timeStampsUsed_++;
}

double CudaBackend::secondsBetween(int from, int to) const
{
    float milliseconds = 0.0f;
    LPM_CUDA_CHECK(
        cudaEventElapsedTime(&milliseconds, timeStamps_.at(size_t(from)).get(), timeStamps_.at(size_t(to)).get()));
    return 1e-3 * double(milliseconds);
}

void CudaBackend::forgetTimesAfter(int mark)
{
    timeStampsUsed_ = std::max(mark + 1, 0);
}

namespace {
// Block sizes are rounded up to 512 bytes (cudaMalloc's own granularity is
// coarser), so a cached block fits every request of its rounded size.
int64_t roundedBlockSize(int64_t bytes)
{
    return (std::max<int64_t>(bytes, 1) + 511) / 512 * 512;
}
} // namespace

void* CudaBackend::allocateBytes(int64_t bytes)
{
    const int64_t size = roundedBlockSize(bytes);
    {
        std::lock_guard lock(freeBlocksMutex_);
        auto found = freeBlocks_.find(size);
        if (found != freeBlocks_.end() && !found->second.empty()) {
            void* block = found->second.back();
            found->second.pop_back();
            return block;
        }
    }
    activate();
    return DeviceAllocator::allocate(size);
}

void CudaBackend::releaseBytes(void* data, int64_t bytes) noexcept
{
    if (data == nullptr)
        return;
    try {
        std::lock_guard lock(freeBlocksMutex_);
        freeBlocks_[roundedBlockSize(bytes)].push_back(data);
    } catch (...) { // out of host memory for the list: give the block back instead
        cudaStreamSynchronize(stream_.get());
        DeviceAllocator::release(data);
    }
}

void CudaBackend::copyFromHost(void* destination, const void* hostSource, int64_t bytes)
{
    activate();
    if (!options_.stagedUploads) {
        LPM_CUDA_CHECK(cudaMemcpyAsync(destination, hostSource, static_cast<size_t>(bytes), cudaMemcpyHostToDevice,
                                       stream_.get()));
        LPM_CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
        return;
    }
    // The staging buffer is free once the previous upload has read it (an
    // event never recorded counts as done); it only grows.
    LPM_CUDA_CHECK(cudaEventSynchronize(uploadRead_.get()));
    uploadStaging_.reserve(std::max<int64_t>(bytes, 1));
    std::memcpy(uploadStaging_.data(), hostSource, static_cast<size_t>(bytes));
    LPM_CUDA_CHECK(cudaMemcpyAsync(destination, uploadStaging_.data(), static_cast<size_t>(bytes),
                                   cudaMemcpyHostToDevice, stream_.get()));
    LPM_CUDA_CHECK(cudaEventRecord(uploadRead_.get(), stream_.get()));
}

void CudaBackend::copyToHost(void* hostDestination, const void* source, int64_t bytes)
{
    activate();
    LPM_CUDA_CHECK(
        cudaMemcpyAsync(hostDestination, source, static_cast<size_t>(bytes), cudaMemcpyDeviceToHost, stream_.get()));
    LPM_CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
}

void CudaBackend::copyWithin(void* destination, const void* source, int64_t bytes)
{
    activate();
    // cudaMemcpyDefault: the source may be on another GPU (unified addressing
    // tells the runtime which); without peer access the driver stages it.
    LPM_CUDA_CHECK(cudaMemcpyAsync(destination, source, static_cast<size_t>(bytes), cudaMemcpyDefault, stream_.get()));
}

bool CudaBackend::sharesMemoryWith(const MemoryResource& other) const
{
    const auto* cuda = dynamic_cast<const CudaBackend*>(&other);
    return cuda != nullptr && cuda->device() == device();
}

bool CudaBackend::canReadDirectly(const MemoryResource& other) const
{
    const auto* cuda = dynamic_cast<const CudaBackend*>(&other);
    return cuda != nullptr && (cuda->device() == device() || peerAccess_.at(size_t(cuda->device())));
}

bool CudaBackend::canCopyDirectly(const MemoryResource& other) const
{
    return dynamic_cast<const CudaBackend*>(&other) != nullptr;
}

void CudaBackend::zeroBytes(void* data, int64_t bytes)
{
    activate();
    LPM_CUDA_CHECK(cudaMemsetAsync(data, 0, static_cast<size_t>(bytes), stream_.get()));
}

void CudaBackend::gemm(bool transposeA, bool transposeB, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                       int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc)
{
    activate();
    // Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: the same
    // buffers read column-major are the transposes, so swap the operands.
    LPM_CUBLAS_CHECK(cublasSgemm(cublas_.get(), transposeB ? CUBLAS_OP_T : CUBLAS_OP_N,
                                 transposeA ? CUBLAS_OP_T : CUBLAS_OP_N, cublasInt(n, "n"), cublasInt(m, "m"),
                                 cublasInt(k, "k"), &alpha, b, cublasInt(ldb, "ldb"), a, cublasInt(lda, "lda"), &beta,
                                 c, cublasInt(ldc, "ldc")));
}

void CudaBackend::addRowBias(int64_t rows, int64_t features, const float* bias, float* y)
{
    activate();
    cuda_kernels::addRowBias(stream_.get(), rows, features, bias, y);
}

void CudaBackend::accumulateColumnSums(int64_t rows, int64_t features, const float* dy, float* gradBias)
{
    activate();
    cuda_kernels::accumulateColumnSums(stream_.get(), rows, features, dy, gradBias);
}

void CudaBackend::maxPool2dForward(const Pool2dGeometry& g, const float* input, float* output, int32_t* argmax)
{
    activate();
    cuda_kernels::maxPool2dForward(stream_.get(), g, input, output, argmax);
}

void CudaBackend::maxPool2dBackward(const Pool2dGeometry& g, const float* gradOutput, const int32_t* argmax,
                                    float* gradInput)
{
    activate();
    cuda_kernels::maxPool2dBackward(stream_.get(), g, gradOutput, argmax, gradInput);
}

void CudaBackend::avgPool2dForward(const Pool2dGeometry& g, const float* input, float* output)
{
    activate();
    cuda_kernels::avgPool2dForward(stream_.get(), g, input, output);
}

void CudaBackend::avgPool2dBackward(const Pool2dGeometry& g, const float* gradOutput, float* gradInput)
{
    activate();
    cuda_kernels::avgPool2dBackward(stream_.get(), g, gradOutput, gradInput);
}

void CudaBackend::reluForward(int64_t count, const float* x, float* y)
{
    activate();
    cuda_kernels::reluForward(stream_.get(), count, x, y);
}

void CudaBackend::reluBackward(int64_t count, const float* y, const float* dy, float* dx)
{
    activate();
    cuda_kernels::reluBackward(stream_.get(), count, y, dy, dx);
}

void CudaBackend::addInPlace(int64_t count, const float* x, float* y)
{
    activate();
    cuda_kernels::addInPlace(stream_.get(), count, x, y);
}

void CudaBackend::dropoutForward(int64_t count, float p, uint64_t key, int64_t firstIndex, const float* x, float* y,
                                 float* mask)
{
    activate();
    cuda_kernels::dropoutForward(stream_.get(), count, p, key, firstIndex, x, y, mask);
}

void CudaBackend::scale(int64_t count, float alpha, float* x)
{
    activate();
    cuda_kernels::scale(stream_.get(), count, alpha, x);
}

void CudaBackend::multiply(int64_t count, const float* a, const float* b, float* y)
{
    activate();
    cuda_kernels::multiply(stream_.get(), count, a, b, y);
}

double CudaBackend::softmaxCrossEntropy(int64_t rows, int64_t classes, const float* logits, const int32_t* labels,
                                        float scale, float* gradLogits, int64_t* correctCount)
{
    activate();
    const int64_t bytes = rows * int64_t(sizeof(double) + sizeof(int32_t));
    lossRows_.reserve(bytes);
    lossRowsHost_.reserve(bytes);
    double* rowLoss = lossRows_.as<double>();
    int32_t* rowCorrect = reinterpret_cast<int32_t*>(rowLoss + rows);
    cuda_kernels::softmaxCrossEntropyRows(stream_.get(), rows, classes, logits, labels, scale, gradLogits, rowLoss,
                                          rowCorrect);
    LPM_CUDA_CHECK(cudaMemcpyAsync(lossRowsHost_.data(), lossRows_.data(), static_cast<size_t>(bytes),
                                   cudaMemcpyDeviceToHost, stream_.get()));
    LPM_CUDA_CHECK(cudaStreamSynchronize(stream_.get()));
    // Summed on the host in row order, as the CPU reference does.
    const double* hostLoss = lossRowsHost_.as<double>();
    const int32_t* hostCorrect = reinterpret_cast<const int32_t*>(hostLoss + rows);
    double lossSum = 0.0;
    int64_t correct = 0;
    for (int64_t row = 0; row < rows; ++row) {
        lossSum += hostLoss[row];
        correct += hostCorrect[row];
    }
    if (correctCount != nullptr)
        *correctCount = correct;
    return lossSum;
}

void CudaBackend::sgdUpdate(int64_t count, const SgdHyper& h, float* weights, const float* grads, float* velocity)
{
    activate();
    cuda_kernels::sgdUpdate(stream_.get(), count, h, weights, grads, velocity);
}

void CudaBackend::adamUpdate(int64_t count, const AdamHyper& h, float* weights, const float* grads, float* firstMoment,
                             float* secondMoment)
{
    activate();
    cuda_kernels::adamUpdate(stream_.get(), count, h, adamStepScales(h), weights, grads, firstMoment, secondMoment);
}

} // namespace lpm
