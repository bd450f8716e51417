// CudaBackend batch normalisation through cuDNN's spatial mode: statistics
// per channel over N·H·W, the same definition as the CPU reference (saved
// inverse standard deviation; running variance unbiased, updated with
// factor = momentum).
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"

namespace lpm {

namespace {
constexpr float kOne = 1.0f, kZero = 0.0f;
}

void CudaBackend::batchNormForwardTraining(const BatchNormGeometry& g, const float* x, const float* gamma,
                                           const float* beta, float* y, float* savedMean, float* savedInvStd,
                                           float* runningMean, float* runningVar)
{
    activate();
    const TensorDescriptor data = makeTensorDescriptor(g.batch, g.channels, g.spatial, 1);
    const TensorDescriptor perChannel = makeTensorDescriptor(1, g.channels, 1, 1);
    LPM_CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(
        cudnn_.get(), CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, data.get(), x, data.get(), y, perChannel.get(), gamma,
        beta, double(g.momentum), runningMean, runningVar, double(g.epsilon), savedMean, savedInvStd));
}

void CudaBackend::batchNormForwardInference(const BatchNormGeometry& g, const float* x, const float* gamma,
                                            const float* beta, const float* runningMean, const float* runningVar,
                                            float* y)
{
    activate();
    const TensorDescriptor data = makeTensorDescriptor(g.batch, g.channels, g.spatial, 1);
    const TensorDescriptor perChannel = makeTensorDescriptor(1, g.channels, 1, 1);
    LPM_CUDNN_CHECK(cudnnBatchNormalizationForwardInference(cudnn_.get(), CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero,
                                                            data.get(), x, data.get(), y, perChannel.get(), gamma, beta,
                                                            runningMean, runningVar, double(g.epsilon)));
}

void CudaBackend::batchNormBackward(const BatchNormGeometry& g, const float* x, const float* gamma,
                                    const float* savedMean, const float* savedInvStd, const float* dy, float* dx,
                                    float* gradGamma, float* gradBeta)
{
    activate();
    const TensorDescriptor data = makeTensorDescriptor(g.batch, g.channels, g.spatial, 1);
    const TensorDescriptor perChannel = makeTensorDescriptor(1, g.channels, 1, 1);
    // dx overwritten (data beta 0); gradGamma and gradBeta accumulated (parameter beta 1).
    LPM_CUDNN_CHECK(cudnnBatchNormalizationBackward(
        cudnn_.get(), CUDNN_BATCHNORM_SPATIAL, &kOne, &kZero, &kOne, &kOne, data.get(), x, data.get(), dy, data.get(),
        dx, perChannel.get(), gamma, gradGamma, gradBeta, double(g.epsilon), savedMean, savedInvStd));
}

} // namespace lpm
