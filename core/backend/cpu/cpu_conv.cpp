// CpuBackend convolution: oneDNN's kernels (onednn_convolution.h) over fixed
// groups of samples.
//
// The batch is cut into groups of G samples, G chosen from the geometry alone:
// a group's input and output planes fill at most 1 MiB, which keeps them in
// the core's cache while the kernel runs, and the groups come in multiples of
// four where the batch allows, so that teams of two or four share them evenly.
// Team members take whole groups, each group runs single-threaded, and
// per-group weight gradients are summed in group order, so results do not
// depend on the thread count.
#include <algorithm>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/onednn_convolution.h"

namespace lpm {

namespace {

constexpr int64_t kGroupFloats = int64_t{1} << 18; // input + output activations per group (1 MiB)

enum ScratchSlot : int { kWorkspace = 0, kBlockedWeights = 1, kPartialSums = 2 };

// Groups of at most kGroupFloats, in a count that is a multiple of four where
// the batch allows, of nearly equal sizes: teams of 1, 2 or 4 threads then get
// equal shares. Depends on the geometry alone, never on the thread count.
int64_t samplesPerGroup(const Conv2dGeometry& g)
{
    const int64_t perSample = g.inChannels * g.inHeight * g.inWidth + g.outChannels * g.outHeight() * g.outWidth();
    const int64_t largest = std::clamp<int64_t>(kGroupFloats / std::max<int64_t>(perSample, 1), 1, g.batch);
    const int64_t fewest = (g.batch + largest - 1) / largest;
    const int64_t groups = std::min(g.batch, (fewest + 3) / 4 * 4);
    return (g.batch + groups - 1) / groups;
}

Conv2dGeometry withBatch(Conv2dGeometry g, int64_t batch)
{
    g.batch = batch;
    return g;
}

} // namespace

// The groups of one call: `count` groups of `size` samples, the last one of
// `lastSize`; each shape's primitives, and its weights in their layouts.
struct CpuBackend::ConvolutionGroups {
    int64_t size = 0, count = 0, lastSize = 0;
    const OneDnnConvolution* full = nullptr;
    const OneDnnConvolution* last = nullptr; // == full when every group is full
    float* fullWeights = nullptr;
    float* lastWeights = nullptr;

    const OneDnnConvolution& convolution(int64_t index) const { return index + 1 == count ? *last : *full; }
    const float* weights(int64_t index) const { return index + 1 == count ? lastWeights : fullWeights; }
};

CpuBackend::ConvolutionGroups CpuBackend::convolutionGroups(const Conv2dGeometry& g, const float* weight, bool hasBias,
                                                            WeightsFor use)
{
    ConvolutionGroups groups;
    groups.size = samplesPerGroup(g);
    groups.count = (g.batch + groups.size - 1) / groups.size;
    groups.lastSize = g.batch - (groups.count - 1) * groups.size;
    groups.full = &convolutions_->get(withBatch(g, groups.size), hasBias);
    groups.last =
        groups.lastSize == groups.size ? groups.full : &convolutions_->get(withBatch(g, groups.lastSize), hasBias);
    // Grow every member's workspace here, on the calling thread.
    const int64_t workspace = std::max(groups.full->workspaceFloats(), groups.last->workspaceFloats());
    for (int member = 0; member < team_.size(); ++member)
        scratch(member, kWorkspace, workspace);
    const int64_t fullFloats = groups.full->blockedWeightsFloats();
    float* weights = scratch(0, kBlockedWeights, fullFloats + groups.last->blockedWeightsFloats());
    groups.fullWeights = weights;
    groups.full->reorderWeights(use, weight, groups.fullWeights, scratch(0, kWorkspace, 0));
    groups.lastWeights = groups.fullWeights;
    if (groups.last != groups.full) {
        groups.lastWeights = weights + fullFloats;
        groups.last->reorderWeights(use, weight, groups.lastWeights, scratch(0, kWorkspace, 0));
    }
    return groups;
}

void CpuBackend::conv2dForward(const Conv2dGeometry& g, const float* input, const float* weight, const float* bias,
                               float* output)
{
    const ConvolutionGroups groups = convolutionGroups(g, weight, bias != nullptr, WeightsFor::Forward);
    const int64_t inSample = g.inChannels * g.inHeight * g.inWidth;
    const int64_t outSample = g.outChannels * g.outHeight() * g.outWidth();
    team_.parallelFor(groups.count, [&](int64_t begin, int64_t end, int member) {
        float* workspace = scratch(member, kWorkspace, 0);
        for (int64_t index = begin; index < end; ++index) {
            const int64_t n0 = index * groups.size;
            groups.convolution(index).forward(input + n0 * inSample, groups.weights(index), bias,
                                              output + n0 * outSample, workspace);
        }
    });
}

void CpuBackend::conv2dBackward(const Conv2dGeometry& g, const float* input, const float* weight,
                                const float* gradOutput, float* gradInput, float* gradWeight, float* gradBias)
{
    convolutionBackward(g, input, weight, gradOutput, gradInput, gradWeight, gradBias, gradBias != nullptr);
}

void CpuBackend::conv2dBackwardData(const Conv2dGeometry& g, const float* weight, const float* gradOutput,
                                    float* gradInput, bool hasBias)
{
    convolutionBackward(g, nullptr, weight, gradOutput, gradInput, nullptr, nullptr, hasBias);
}

void CpuBackend::convolutionBackward(const Conv2dGeometry& g, const float* input, const float* weight,
                                     const float* gradOutput, float* gradInput, float* gradWeight, float* gradBias,
                                     bool hasBias)
{
    const bool weightsRun = gradWeight != nullptr;
    const ConvolutionGroups groups =
        convolutionGroups(g, weight, hasBias, gradInput != nullptr ? WeightsFor::BackwardData : WeightsFor::Nothing);
    const int64_t inSample = g.inChannels * g.inHeight * g.inWidth;
    const int64_t outSample = g.outChannels * g.outHeight() * g.outWidth();
    const int64_t weightCount = g.outChannels * g.inChannels * g.kernelHeight * g.kernelWidth;
    const int64_t partialCount = weightsRun ? weightCount + (hasBias ? g.outChannels : 0) : 0;
    // Per-group gradients (weight, then bias), summed in group order below.
    float* partials = weightsRun ? scratch(0, kPartialSums, groups.count * partialCount) : nullptr;
    team_.parallelFor(groups.count, [&](int64_t begin, int64_t end, int member) {
        float* workspace = scratch(member, kWorkspace, 0);
        for (int64_t index = begin; index < end; ++index) {
            const int64_t n0 = index * groups.size;
            float* partial = weightsRun ? partials + index * partialCount : nullptr;
            groups.convolution(index).backward(weightsRun ? input + n0 * inSample : nullptr,
                                               gradOutput + n0 * outSample, groups.weights(index),
                                               gradInput != nullptr ? gradInput + n0 * inSample : nullptr, partial,
                                               weightsRun && hasBias ? partial + weightCount : nullptr, workspace);
        }
    });
    // gradWeight, gradBias += Σ_groups partials, in group order (elements in parallel).
    if (!weightsRun)
        return;
    team_.parallelFor(partialCount, [&](int64_t begin, int64_t end, int) {
        for (int64_t i = begin; i < end; ++i) {
            float sum = 0.0f;
            for (int64_t index = 0; index < groups.count; ++index)
                sum += partials[index * partialCount + i];
            if (i < weightCount)
                gradWeight[i] += sum;
            else
                gradBias[i - weightCount] += sum;
        }
    });
}

} // namespace lpm
