// The CUDA backend's own kernels: bias, elementwise, dropout, pooling, the
// transformer operations, the softmax cross-entropy loss and the optimizers. One thread per output
// element (grid-stride loops), no atomics, sums in a fixed order.
#include "backend/cuda/cuda_kernels.h"

#include <algorithm>

#include "backend/cuda/cuda_check.h"
#include "backend/softmax_row.h"
#include "backend/transformer_rows.h"
#include "tensor/random.h"

namespace lpm::cuda_kernels {

namespace {

constexpr int kThreads = 256;

// Enough blocks to cover `count` elements, capped: grid-stride loops do the rest.
unsigned blocksFor(int64_t count)
{
    const int64_t blocks = (count + kThreads - 1) / kThreads;
    return static_cast<unsigned>(std::clamp<int64_t>(blocks, 1, 65535));
}

#define LPM_GRID_STRIDE(index, count)                                                                                  \
    for (int64_t index = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; index < (count);                              \
         index += int64_t(blockDim.x) * gridDim.x)

#define LPM_LAUNCH(kernel, count, stream, ...)                                                                         \
    do {                                                                                                               \
        if ((count) > 0) {                                                                                             \
            kernel<<<blocksFor(count), kThreads, 0, (stream)>>>(__VA_ARGS__);                                          \
            LPM_CUDA_CHECK(cudaGetLastError());                                                                        \
        }                                                                                                              \
    } while (false)

__global__ void addRowBiasKernel(int64_t rows, int64_t features, const float* bias, float* y)
{
    LPM_GRID_STRIDE(i, rows * features)
    {
        y[i] += bias[i % features];
    }
}

// One thread per feature, rows added in order onto the existing value (as the CPU does).
__global__ void columnSumsKernel(int64_t rows, int64_t features, const float* dy, float* gradBias)
{
    LPM_GRID_STRIDE(f, features)
    {
        float sum = gradBias[f];
        for (int64_t row = 0; row < rows; ++row)
            sum += dy[row * features + f];
        gradBias[f] = sum;
    }
}

__global__ void reluForwardKernel(int64_t count, const float* x, float* y)
{
    LPM_GRID_STRIDE(i, count)
    {
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
    }
}

__global__ void reluBackwardKernel(int64_t count, const float* y, const float* dy, float* dx)
{
    LPM_GRID_STRIDE(i, count)
    {
        dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    }
}

__global__ void addInPlaceKernel(int64_t count, const float* x, float* y)
{
    LPM_GRID_STRIDE(i, count)
    {
        y[i] += x[i];
    }
}

__global__ void multiplyKernel(int64_t count, const float* a, const float* b, float* y)
{
    LPM_GRID_STRIDE(i, count)
    {
        y[i] = a[i] * b[i];
    }
}

__global__ void dropoutKernel(int64_t count, float p, float keepScale, uint64_t key, int64_t firstIndex, const float* x,
                              float* y, float* mask)
{
    LPM_GRID_STRIDE(i, count)
    {
        const float m = uniformAt(key, static_cast<uint64_t>(firstIndex + i)) >= p ? keepScale : 0.0f;
        mask[i] = m;
        y[i] = x[i] * m;
    }
}

// One thread per output element; the first maximum in row-major window order wins.
__global__ void maxPoolForwardKernel(Pool2dGeometry g, const float* input, float* output, int32_t* argmax)
{
    const int64_t oh = g.outHeight(), ow = g.outWidth();
    const int64_t outPlane = oh * ow, inPlane = g.inHeight * g.inWidth;
    LPM_GRID_STRIDE(o, g.batch * g.channels * outPlane)
    {
        const int64_t plane = o / outPlane, y = (o % outPlane) / ow, x = o % ow;
        const float* in = input + plane * inPlane;
        int64_t bestIndex = (y * g.stride) * g.inWidth + x * g.stride;
        float best = -INFINITY;
        for (int64_t ky = 0; ky < g.kernel; ++ky)
            for (int64_t kx = 0; kx < g.kernel; ++kx) {
                const int64_t index = (y * g.stride + ky) * g.inWidth + x * g.stride + kx;
                if (in[index] > best) {
                    best = in[index];
                    bestIndex = index;
                }
            }
        output[o] = best;
        argmax[o] = static_cast<int32_t>(bestIndex);
    }
}

// The output windows that cover input row (or column) `position`: [first, last].
__device__ void coveringWindows(int64_t position, int64_t kernel, int64_t stride, int64_t outExtent, int64_t& first,
                                int64_t& last)
{
    first = position < kernel ? 0 : (position - kernel) / stride + 1;
    last = min(position / stride, outExtent - 1);
}

// Backward of pooling in gather form: input element i (flat over N·C·H·W)
// sums contribution(o, local) over the outputs o whose windows cover it, in
// the CPU's (row-major output) order; `local` is i's index in its plane.
template <typename Contribution>
__device__ float sumOverCoveringWindows(const Pool2dGeometry& g, int64_t i, Contribution contribution)
{
    const int64_t oh = g.outHeight(), ow = g.outWidth();
    const int64_t inPlane = g.inHeight * g.inWidth;
    const int64_t plane = i / inPlane, local = i % inPlane;
    int64_t y0, y1, x0, x1;
    coveringWindows(local / g.inWidth, g.kernel, g.stride, oh, y0, y1);
    coveringWindows(local % g.inWidth, g.kernel, g.stride, ow, x0, x1);
    float sum = 0.0f;
    for (int64_t y = y0; y <= y1; ++y)
        for (int64_t x = x0; x <= x1; ++x)
            sum += contribution(plane * oh * ow + y * ow + x, local);
    return sum;
}

// The scatter dx[argmax] += dy, gathered.
__global__ void maxPoolBackwardKernel(Pool2dGeometry g, const float* gradOutput, const int32_t* argmax,
                                      float* gradInput)
{
    LPM_GRID_STRIDE(i, g.batch * g.channels * g.inHeight * g.inWidth)
    {
        gradInput[i] = sumOverCoveringWindows(
            g, i, [&](int64_t o, int64_t local) { return argmax[o] == local ? gradOutput[o] : 0.0f; });
    }
}

__global__ void avgPoolForwardKernel(Pool2dGeometry g, const float* input, float* output)
{
    const int64_t oh = g.outHeight(), ow = g.outWidth();
    const int64_t outPlane = oh * ow, inPlane = g.inHeight * g.inWidth;
    const float scale = 1.0f / static_cast<float>(g.kernel * g.kernel);
    LPM_GRID_STRIDE(o, g.batch * g.channels * outPlane)
    {
        const int64_t plane = o / outPlane, y = (o % outPlane) / ow, x = o % ow;
        const float* in = input + plane * inPlane;
        float sum = 0.0f;
        for (int64_t ky = 0; ky < g.kernel; ++ky)
            for (int64_t kx = 0; kx < g.kernel; ++kx)
                sum += in[(y * g.stride + ky) * g.inWidth + x * g.stride + kx];
        output[o] = sum * scale;
    }
}

__global__ void avgPoolBackwardKernel(Pool2dGeometry g, const float* gradOutput, float* gradInput)
{
    const float scale = 1.0f / static_cast<float>(g.kernel * g.kernel);
    LPM_GRID_STRIDE(i, g.batch * g.channels * g.inHeight * g.inWidth)
    {
        gradInput[i] = sumOverCoveringWindows(g, i, [&](int64_t o, int64_t) { return gradOutput[o] * scale; });
    }
}

// One thread per row, the CPU reference's arithmetic (backend/softmax_row.h).
__global__ void softmaxCrossEntropyKernel(int64_t rows, int64_t classes, const float* logits, const int32_t* labels,
                                          float scale, float* gradLogits, double* rowLoss, int32_t* rowCorrect)
{
    LPM_GRID_STRIDE(row, rows)
    {
        const SoftmaxRowResult result =
            softmaxCrossEntropyRow(classes, logits + row * classes, labels[row], scale, gradLogits + row * classes);
        rowLoss[row] = result.loss;
        rowCorrect[row] = result.correct ? 1 : 0;
    }
}

__global__ void scaleKernel(int64_t count, float alpha, float* x)
{
    LPM_GRID_STRIDE(i, count)
    {
        x[i] *= alpha;
    }
}

__global__ void sgdKernel(int64_t count, SgdHyper h, float* weights, const float* grads, float* velocity)
{
    LPM_GRID_STRIDE(i, count)
    {
        float g = grads[i] + h.weightDecay * weights[i];
        if (h.momentum != 0.0f) {
            velocity[i] = h.momentum * velocity[i] + g;
            g = h.nesterov ? g + h.momentum * velocity[i] : velocity[i];
        }
        weights[i] -= h.learningRate * g;
    }
}

__global__ void adamKernel(int64_t count, AdamHyper h, AdamStepScales scales, float* weights, const float* grads,
                           float* firstMoment, float* secondMoment)
{
    LPM_GRID_STRIDE(i, count)
    {
        const float g = grads[i] + scales.gradientDecay * weights[i];
        weights[i] *= scales.weightKeep;
        firstMoment[i] = h.beta1 * firstMoment[i] + (1.0f - h.beta1) * g;
        secondMoment[i] = h.beta2 * secondMoment[i] + (1.0f - h.beta2) * g * g;
        const float denominator = sqrtf(secondMoment[i]) / scales.rootCorrection2 + h.epsilon;
        weights[i] -= scales.stepSize * firstMoment[i] / denominator;
    }
}

__global__ void layerNormForwardKernel(LayerNormGeometry g, const float* x, const float* gamma, const float* beta,
                                       float* y, float* savedMean, float* savedInvStd)
{
    LPM_GRID_STRIDE(row, g.rows)
    {
        layerNormRowForward(g.features, g.epsilon, x + row * g.features, gamma, beta, y + row * g.features,
                            savedMean + row, savedInvStd + row);
    }
}

__global__ void layerNormBackwardDataKernel(LayerNormGeometry g, const float* x, const float* gamma,
                                            const float* savedMean, const float* savedInvStd, const float* dy,
                                            float* dx)
{
    LPM_GRID_STRIDE(row, g.rows)
    {
        layerNormRowBackward(g.features, x + row * g.features, gamma, savedMean[row], savedInvStd[row],
                             dy + row * g.features, dx + row * g.features);
    }
}

__global__ void layerNormParameterGradientsKernel(LayerNormGeometry g, const float* x, const float* savedMean,
                                                  const float* savedInvStd, const float* dy, float* gradGamma,
                                                  float* gradBeta)
{
    LPM_GRID_STRIDE(f, g.features)
    {
        float sumGamma = gradGamma[f], sumBeta = gradBeta[f];
        for (int64_t row = 0; row < g.rows; ++row) {
            const int64_t i = row * g.features + f;
            sumGamma += dy[i] * ((x[i] - savedMean[row]) * savedInvStd[row]);
            sumBeta += dy[i];
        }
        gradGamma[f] = sumGamma;
        gradBeta[f] = sumBeta;
    }
}

__global__ void geluForwardKernel(int64_t count, const float* x, float* y)
{
    LPM_GRID_STRIDE(i, count)
    {
        y[i] = geluValue(x[i]);
    }
}

__global__ void geluBackwardKernel(int64_t count, const float* x, const float* dy, float* dx)
{
    LPM_GRID_STRIDE(i, count)
    {
        dx[i] = dy[i] * geluSlope(x[i]);
    }
}

__global__ void embeddingForwardKernel(int64_t rows, int64_t width, const float* ids, const float* table, float* y)
{
    LPM_GRID_STRIDE(i, rows * width)
    {
        y[i] = table[static_cast<int64_t>(ids[i / width]) * width + i % width];
    }
}

__global__ void embeddingBackwardKernel(int64_t rows, int64_t width, const float* ids, const float* dy,
                                        float* gradTable)
{
    LPM_GRID_STRIDE(f, width)
    {
        for (int64_t row = 0; row < rows; ++row)
            gradTable[static_cast<int64_t>(ids[row]) * width + f] += dy[row * width + f];
    }
}

__global__ void causalSoftmaxRowsKernel(int64_t rows, int64_t tokens, float* scores, float* scratch, float* logSumExp)
{
    LPM_GRID_STRIDE(r, rows)
    {
        logSumExp[r] = causalSoftmaxRow(r % tokens, tokens, scores + r * tokens, scratch + r * tokens);
    }
}

__global__ void causalProbabilityRowsKernel(int64_t rows, int64_t tokens, const float* logSumExp, float* scores)
{
    LPM_GRID_STRIDE(r, rows)
    {
        causalProbabilitiesRow(r % tokens, tokens, logSumExp[r], scores + r * tokens);
    }
}

__global__ void attentionScoreGradientRowsKernel(AttentionGeometry g, const float* gradOut, const float* out,
                                                 const float* probabilities, float* gradScores)
{
    const int64_t width = g.width();
    LPM_GRID_STRIDE(r, g.heads * g.tokens)
    {
        const int64_t head = r / g.tokens, i = r % g.tokens;
        const int64_t offset = i * width + head * g.headDim;
        attentionScoreGradientRow(i, g.tokens, g.headDim, gradOut + offset, out + offset, probabilities + r * g.tokens,
                                  gradScores + r * g.tokens);
    }
}

} // namespace

void addRowBias(cudaStream_t stream, int64_t rows, int64_t features, const float* bias, float* y)
{
    LPM_LAUNCH(addRowBiasKernel, rows * features, stream, rows, features, bias, y);
}

void accumulateColumnSums(cudaStream_t stream, int64_t rows, int64_t features, const float* dy, float* gradBias)
{
    LPM_LAUNCH(columnSumsKernel, features, stream, rows, features, dy, gradBias);
}

void reluForward(cudaStream_t stream, int64_t count, const float* x, float* y)
{
    LPM_LAUNCH(reluForwardKernel, count, stream, count, x, y);
}

void reluBackward(cudaStream_t stream, int64_t count, const float* y, const float* dy, float* dx)
{
    LPM_LAUNCH(reluBackwardKernel, count, stream, count, y, dy, dx);
}

void addInPlace(cudaStream_t stream, int64_t count, const float* x, float* y)
{
    LPM_LAUNCH(addInPlaceKernel, count, stream, count, x, y);
}

void multiply(cudaStream_t stream, int64_t count, const float* a, const float* b, float* y)
{
    LPM_LAUNCH(multiplyKernel, count, stream, count, a, b, y);
}

void dropoutForward(cudaStream_t stream, int64_t count, float p, uint64_t key, int64_t firstIndex, const float* x,
                    float* y, float* mask)
{
    LPM_LAUNCH(dropoutKernel, count, stream, count, p, 1.0f / (1.0f - p), key, firstIndex, x, y, mask);
}

void maxPool2dForward(cudaStream_t stream, const Pool2dGeometry& g, const float* input, float* output, int32_t* argmax)
{
    LPM_LAUNCH(maxPoolForwardKernel, g.batch * g.channels * g.outHeight() * g.outWidth(), stream, g, input, output,
               argmax);
}

void maxPool2dBackward(cudaStream_t stream, const Pool2dGeometry& g, const float* gradOutput, const int32_t* argmax,
                       float* gradInput)
{
    LPM_LAUNCH(maxPoolBackwardKernel, g.batch * g.channels * g.inHeight * g.inWidth, stream, g, gradOutput, argmax,
               gradInput);
}

void avgPool2dForward(cudaStream_t stream, const Pool2dGeometry& g, const float* input, float* output)
{
    LPM_LAUNCH(avgPoolForwardKernel, g.batch * g.channels * g.outHeight() * g.outWidth(), stream, g, input, output);
}

void avgPool2dBackward(cudaStream_t stream, const Pool2dGeometry& g, const float* gradOutput, float* gradInput)
{
    LPM_LAUNCH(avgPoolBackwardKernel, g.batch * g.channels * g.inHeight * g.inWidth, stream, g, gradOutput, gradInput);
}

void softmaxCrossEntropyRows(cudaStream_t stream, int64_t rows, int64_t classes, const float* logits,
                             const int32_t* labels, float scale, float* gradLogits, double* rowLoss,
                             int32_t* rowCorrect)
{
    LPM_LAUNCH(softmaxCrossEntropyKernel, rows, stream, rows, classes, logits, labels, scale, gradLogits, rowLoss,
               rowCorrect);
}

void scale(cudaStream_t stream, int64_t count, float alpha, float* x)
{
    LPM_LAUNCH(scaleKernel, count, stream, count, alpha, x);
}

void sgdUpdate(cudaStream_t stream, int64_t count, const SgdHyper& h, float* weights, const float* grads,
               float* velocity)
{
    LPM_LAUNCH(sgdKernel, count, stream, count, h, weights, grads, velocity);
}

void adamUpdate(cudaStream_t stream, int64_t count, const AdamHyper& h, const AdamStepScales& scales, float* weights,
                const float* grads, float* firstMoment, float* secondMoment)
{
    LPM_LAUNCH(adamKernel, count, stream, count, h, scales, weights, grads, firstMoment, secondMoment);
}

void layerNormForward(cudaStream_t stream, const LayerNormGeometry& g, const float* x, const float* gamma,
                      const float* beta, float* y, float* savedMean, float* savedInvStd)
{
    LPM_LAUNCH(layerNormForwardKernel, g.rows, stream, g, x, gamma, beta, y, savedMean, savedInvStd);
}

void layerNormBackwardData(cudaStream_t stream, const LayerNormGeometry& g, const float* x, const float* gamma,
                           const float* savedMean, const float* savedInvStd, const float* dy, float* dx)
{
    LPM_LAUNCH(layerNormBackwardDataKernel, g.rows, stream, g, x, gamma, savedMean, savedInvStd, dy, dx);
}

void layerNormParameterGradients(cudaStream_t stream, const LayerNormGeometry& g, const float* x,
                                 const float* savedMean, const float* savedInvStd, const float* dy, float* gradGamma,
                                 float* gradBeta)
{
    LPM_LAUNCH(layerNormParameterGradientsKernel, g.features, stream, g, x, savedMean, savedInvStd, dy, gradGamma,
               gradBeta);
}

void geluForward(cudaStream_t stream, int64_t count, const float* x, float* y)
{
    LPM_LAUNCH(geluForwardKernel, count, stream, count, x, y);
}

void geluBackward(cudaStream_t stream, int64_t count, const float* x, const float* dy, float* dx)
{
    LPM_LAUNCH(geluBackwardKernel, count, stream, count, x, dy, dx);
}

void embeddingForward(cudaStream_t stream, int64_t rows, int64_t width, const float* ids, const float* table, float* y)
{
    LPM_LAUNCH(embeddingForwardKernel, rows * width, stream, rows, width, ids, table, y);
}

void embeddingBackward(cudaStream_t stream, int64_t rows, int64_t width, const float* ids, const float* dy,
                       float* gradTable)
{
    LPM_LAUNCH(embeddingBackwardKernel, width, stream, rows, width, ids, dy, gradTable);
}

void causalSoftmaxRows(cudaStream_t stream, int64_t rows, int64_t tokens, float* scores, float* scratch,
                       float* logSumExp)
{
    LPM_LAUNCH(causalSoftmaxRowsKernel, rows, stream, rows, tokens, scores, scratch, logSumExp);
}

void causalProbabilityRows(cudaStream_t stream, int64_t rows, int64_t tokens, const float* logSumExp, float* scores)
{
    LPM_LAUNCH(causalProbabilityRowsKernel, rows, stream, rows, tokens, logSumExp, scores);
}

void attentionScoreGradientRows(cudaStream_t stream, const AttentionGeometry& g, const float* gradOut, const float* out,
                                const float* probabilities, float* gradScores)
{
    LPM_LAUNCH(attentionScoreGradientRowsKernel, g.heads * g.tokens, stream, g, gradOut, out, probabilities,
               gradScores);
}

} // namespace lpm::cuda_kernels
