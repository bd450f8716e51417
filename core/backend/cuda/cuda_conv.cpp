// CudaBackend convolution through cuDNN. Each shape gets a ConvolutionPlan
// once: descriptors, and for each of forward, backward-data and
// backward-filter the fastest algorithm by cuDNN's heuristics that is
// deterministic (so repeated runs, and pipelined against sequential runs,
// give identical weights) and fits the workspace limit.
#include <algorithm>
#include <string>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"

namespace lpm {

namespace {

constexpr float kOne = 1.0f, kZero = 0.0f;

// The first (fastest-predicted) usable result of a cuDNN _v7 heuristic query;
// `fallback` (an algorithm every GPU supports without workspace) otherwise.
template <typename Perf, typename Algorithm>
Algorithm chooseAlgorithm(const Perf* results, int count, int64_t workspaceLimit, Algorithm fallback)
{
    for (int i = 0; i < count; ++i)
        if (results[i].status == CUDNN_STATUS_SUCCESS && results[i].determinism == CUDNN_DETERMINISTIC
            && int64_t(results[i].memory) <= workspaceLimit)
            return results[i].algo;
    return fallback;
}

} // namespace

CudaBackend::TensorDescriptor CudaBackend::makeTensorDescriptor(int64_t n, int64_t c, int64_t h, int64_t w)
{
    cudnnTensorDescriptor_t raw = nullptr;
    LPM_CUDNN_CHECK(cudnnCreateTensorDescriptor(&raw));
    TensorDescriptor descriptor(raw);
    LPM_CUDNN_CHECK(
        cudnnSetTensor4dDescriptor(raw, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, int(n), int(c), int(h), int(w)));
    return descriptor;
}

CudaBackend::ConvolutionPlan& CudaBackend::convolutionPlan(const Conv2dGeometry& g)
{
    const ConvolutionKey key{g.batch,        g.inChannels,  g.inHeight, g.inWidth, g.outChannels,
                             g.kernelHeight, g.kernelWidth, g.stride,   g.padding};
    if (auto found = convolutionPlans_.find(key); found != convolutionPlans_.end())
        return found->second;

    ConvolutionPlan plan;
    plan.input = makeTensorDescriptor(g.batch, g.inChannels, g.inHeight, g.inWidth);
    plan.output = makeTensorDescriptor(g.batch, g.outChannels, g.outHeight(), g.outWidth());
    plan.bias = makeTensorDescriptor(1, g.outChannels, 1, 1);
    cudnnFilterDescriptor_t filter = nullptr;
    LPM_CUDNN_CHECK(cudnnCreateFilterDescriptor(&filter));
    plan.weight.reset(filter);
    LPM_CUDNN_CHECK(cudnnSetFilter4dDescriptor(filter, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, int(g.outChannels),
                                               int(g.inChannels), int(g.kernelHeight), int(g.kernelWidth)));
    cudnnConvolutionDescriptor_t convolution = nullptr;
    LPM_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&convolution));
    plan.convolution.reset(convolution);
    LPM_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(convolution, int(g.padding), int(g.padding), int(g.stride),
                                                    int(g.stride), 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    // FMA math keeps cuDNN off TF32 tensor cores; DEFAULT allows them on Ampere and later.
    LPM_CUDNN_CHECK(cudnnSetConvolutionMathType(convolution, options_.tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));

    cudnnHandle_t handle = cudnn_.get();
    const int64_t limit = options_.workspaceLimitBytes;
    int returned = 0;
    cudnnConvolutionFwdAlgoPerf_t forward[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    LPM_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(handle, plan.input.get(), plan.weight.get(), convolution,
                                                           plan.output.get(), CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                                           &returned, forward));
    plan.forward = chooseAlgorithm(forward, returned, limit, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM);
    cudnnConvolutionBwdDataAlgoPerf_t backwardData[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    LPM_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
        handle, plan.weight.get(), plan.output.get(), convolution, plan.input.get(),
        CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &returned, backwardData));
    plan.backwardData = chooseAlgorithm(backwardData, returned, limit, CUDNN_CONVOLUTION_BWD_DATA_ALGO_1);
    cudnnConvolutionBwdFilterAlgoPerf_t backwardFilter[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    LPM_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
        handle, plan.input.get(), plan.output.get(), convolution, plan.weight.get(),
        CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &returned, backwardFilter));
    plan.backwardFilter = chooseAlgorithm(backwardFilter, returned, limit, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1);

    // The workspace grows to what the chosen algorithms ask for (never past the limit).
    size_t forwardBytes = 0, dataBytes = 0, filterBytes = 0;
    LPM_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(handle, plan.input.get(), plan.weight.get(), convolution,
                                                            plan.output.get(), plan.forward, &forwardBytes));
    LPM_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(
        handle, plan.weight.get(), plan.output.get(), convolution, plan.input.get(), plan.backwardData, &dataBytes));
    LPM_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, plan.input.get(), plan.output.get(),
                                                                   convolution, plan.weight.get(), plan.backwardFilter,
                                                                   &filterBytes));
    synchronize(); // the workspace may be reallocated under queued work otherwise
    workspace_.reserve(int64_t(std::max({forwardBytes, dataBytes, filterBytes, size_t(1)})));
    return convolutionPlans_.emplace(key, std::move(plan)).first->second;
}

void CudaBackend::conv2dForward(const Conv2dGeometry& g, const float* input, const float* weight, const float* bias,
                                float* output)
{
    activate();
    ConvolutionPlan& plan = convolutionPlan(g);
    LPM_CUDNN_CHECK(cudnnConvolutionForward(cudnn_.get(), &kOne, plan.input.get(), input, plan.weight.get(), weight,
                                            plan.convolution.get(), plan.forward, workspace_.data(),
                                            size_t(workspace_.bytes()), &kZero, plan.output.get(), output));
    if (bias != nullptr)
        LPM_CUDNN_CHECK(cudnnAddTensor(cudnn_.get(), &kOne, plan.bias.get(), bias, &kOne, plan.output.get(), output));
}

void CudaBackend::conv2dBackward(const Conv2dGeometry& g, const float* input, const float* weight,
                                 const float* gradOutput, float* gradInput, float* gradWeight, float* gradBias)
{
    activate();
    ConvolutionPlan& plan = convolutionPlan(g);
    if (gradInput != nullptr)
        conv2dBackwardData(g, weight, gradOutput, gradInput, gradBias != nullptr);
    // Accumulated: beta = 1.
    LPM_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
        cudnn_.get(), &kOne, plan.input.get(), input, plan.output.get(), gradOutput, plan.convolution.get(),
        plan.backwardFilter, workspace_.data(), size_t(workspace_.bytes()), &kOne, plan.weight.get(), gradWeight));
    if (gradBias != nullptr)
        LPM_CUDNN_CHECK(cudnnConvolutionBackwardBias(cudnn_.get(), &kOne, plan.output.get(), gradOutput, &kOne,
                                                     plan.bias.get(), gradBias));
}

void CudaBackend::conv2dBackwardData(const Conv2dGeometry& g, const float* weight, const float* gradOutput,
                                     float* gradInput, bool)
{
    activate();
    ConvolutionPlan& plan = convolutionPlan(g);
    // Overwritten: beta = 0.
    LPM_CUDNN_CHECK(cudnnConvolutionBackwardData(
        cudnn_.get(), &kOne, plan.weight.get(), weight, plan.output.get(), gradOutput, plan.convolution.get(),
        plan.backwardData, workspace_.data(), size_t(workspace_.bytes()), &kZero, plan.input.get(), gradInput));
}

} // namespace lpm
