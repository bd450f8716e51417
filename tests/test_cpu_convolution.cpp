// The CPU backend's convolution (oneDNN kernels over groups of samples) against
// a plain double-precision convolution, and the kernels it reports.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/onednn_convolution.h"
#include "layer_test_support.h"

namespace lpm {
namespace {

using testing::randomTensor;

// The convolution by its definition, in double: output (N, Cout, Ho, Wo) and,
// for a given output gradient, the input, weight and bias gradients. Each
// value comes with Σ|terms| of its sum, which bounds float32's rounding error.
struct Reference {
    std::vector<double> output, gradInput, gradWeight, gradBias;
    std::vector<double> outputSize, gradInputSize, gradWeightSize, gradBiasSize;
};

Reference referenceConvolution(const Conv2dGeometry& g, const float* x, const float* w, const float* b, const float* dy)
{
    const int64_t oh = g.outHeight(), ow = g.outWidth();
    Reference r;
    const size_t outputs = size_t(g.batch * g.outChannels * oh * ow);
    const size_t inputs = size_t(g.batch * g.inChannels * g.inHeight * g.inWidth);
    const size_t weights = size_t(g.outChannels * g.inChannels * g.kernelHeight * g.kernelWidth);
    r.output.assign(outputs, 0.0);
    r.outputSize.assign(outputs, 0.0);
    r.gradInput.assign(inputs, 0.0);
    r.gradInputSize.assign(inputs, 0.0);
    r.gradWeight.assign(weights, 0.0);
    r.gradWeightSize.assign(weights, 0.0);
    r.gradBias.assign(size_t(g.outChannels), 0.0);
    r.gradBiasSize.assign(size_t(g.outChannels), 0.0);
    for (int64_t n = 0; n < g.batch; ++n)
        for (int64_t o = 0; o < g.outChannels; ++o)
            for (int64_t y = 0; y < oh; ++y)
                for (int64_t xo = 0; xo < ow; ++xo) {
                    const int64_t out = ((n * g.outChannels + o) * oh + y) * ow + xo;
                    double sum = b != nullptr ? b[o] : 0.0, size = std::abs(sum);
                    r.gradBias[size_t(o)] += dy[out];
                    r.gradBiasSize[size_t(o)] += std::abs(dy[out]);
                    for (int64_t c = 0; c < g.inChannels; ++c)
                        for (int64_t kh = 0; kh < g.kernelHeight; ++kh)
                            for (int64_t kw = 0; kw < g.kernelWidth; ++kw) {
                                const int64_t iy = y * g.stride - g.padding + kh;
                                const int64_t ix = xo * g.stride - g.padding + kw;
                                if (iy < 0 || iy >= g.inHeight || ix < 0 || ix >= g.inWidth)
                                    continue;
                                const int64_t in = ((n * g.inChannels + c) * g.inHeight + iy) * g.inWidth + ix;
                                const int64_t weight =
                                    ((o * g.inChannels + c) * g.kernelHeight + kh) * g.kernelWidth + kw;
                                sum += double(x[in]) * w[weight];
                                size += std::abs(double(x[in]) * w[weight]);
                                r.gradInput[size_t(in)] += double(dy[out]) * w[weight];
                                r.gradInputSize[size_t(in)] += std::abs(double(dy[out]) * w[weight]);
                                r.gradWeight[size_t(weight)] += double(dy[out]) * x[in];
                                r.gradWeightSize[size_t(weight)] += std::abs(double(dy[out]) * x[in]);
                            }
                    r.output[size_t(out)] = sum;
                    r.outputSize[size_t(out)] = size;
                }
    return r;
}

// |got − want| ≤ 1e-6 · Σ|terms| + 1e-6 for every element: a few float32
// roundings of the largest partial sum, far below any wrong term (the terms
// are products of values in [−1, 1)).
void expectClose(const float* got, const std::vector<double>& want, const std::vector<double>& size, const char* what,
                 const Conv2dGeometry& g)
{
    int64_t wrong = 0;
    for (size_t i = 0; i < want.size(); ++i)
        if (std::abs(double(got[i]) - want[i]) > 1e-6 * size[i] + 1e-6 && wrong++ < 3)
            ADD_FAILURE() << what << "[" << i << "] = " << got[i] << ", expected " << want[i] << " (batch " << g.batch
                          << ", " << g.inChannels << "->" << g.outChannels << ", " << g.inHeight << "x" << g.inWidth
                          << ", kernel " << g.kernelHeight << ", stride " << g.stride << ", padding " << g.padding
                          << ")";
    EXPECT_EQ(wrong, 0) << what;
}

Conv2dGeometry geometry(int64_t batch, int64_t in, int64_t hw, int64_t out, int64_t k, int64_t stride, int64_t pad)
{
    return Conv2dGeometry{batch, in, hw, hw, out, k, k, stride, pad};
}

TEST(CpuConvolution, MatchesTheDefinitionForEveryShapeTheZooUsesAndMore)
{
    // Cin = 1 stems, 3×3 and 5×5, stride 2, 1×1 projections, no padding, odd
    // planes, and batches that leave a smaller last group of samples (28×28
    // planes of 16 channels: 13 = 4 + 4 + 4 + 1).
    const std::vector<Conv2dGeometry> shapes = {geometry(4, 1, 28, 16, 3, 1, 1),  geometry(13, 16, 28, 16, 3, 1, 1),
                                                geometry(5, 16, 28, 32, 3, 2, 1), geometry(5, 16, 28, 32, 1, 2, 0),
                                                geometry(3, 64, 7, 64, 3, 1, 1),  geometry(2, 6, 14, 16, 5, 1, 0),
                                                geometry(3, 3, 9, 5, 3, 2, 1),    geometry(41, 8, 5, 12, 3, 1, 1)};
    for (int threads : {1, 2}) {
        CpuBackend backend(threads);
        for (const Conv2dGeometry& g : shapes) {
            for (bool withBias : {true, false}) {
                const Tensor x = randomTensor(Shape{g.batch, g.inChannels, g.inHeight, g.inWidth}, 3);
                const Tensor w = randomTensor(Shape{g.outChannels, g.inChannels, g.kernelHeight, g.kernelWidth}, 4);
                const Tensor b = randomTensor(Shape{g.outChannels}, 5);
                const Tensor dy = randomTensor(Shape{g.batch, g.outChannels, g.outHeight(), g.outWidth()}, 6);
                const Reference want =
                    referenceConvolution(g, x.data(), w.data(), withBias ? b.data() : nullptr, dy.data());
                Tensor y(dy.shape()), dx(x.shape()), dw(w.shape()), db(b.shape());
                backend.conv2dForward(g, x.data(), w.data(), withBias ? b.data() : nullptr, y.data());
                backend.conv2dBackward(g, x.data(), w.data(), dy.data(), dx.data(), dw.data(),
                                       withBias ? db.data() : nullptr);
                expectClose(y.data(), want.output, want.outputSize, "output", g);
                expectClose(dx.data(), want.gradInput, want.gradInputSize, "gradInput", g);
                expectClose(dw.data(), want.gradWeight, want.gradWeightSize, "gradWeight", g);
                if (withBias)
                    expectClose(db.data(), want.gradBias, want.gradBiasSize, "gradBias", g);
            }
        }
    }
}

TEST(CpuConvolution, WeightGradientsAccumulateAndTheInputGradientIsOptional)
{
    CpuBackend backend(2);
    const Conv2dGeometry g = geometry(13, 16, 28, 16, 3, 1, 1);
    const Tensor x = randomTensor(Shape{g.batch, g.inChannels, g.inHeight, g.inWidth}, 7);
    const Tensor w = randomTensor(Shape{g.outChannels, g.inChannels, 3, 3}, 8);
    const Tensor dy = randomTensor(Shape{g.batch, g.outChannels, 28, 28}, 9);
    const Reference want = referenceConvolution(g, x.data(), w.data(), nullptr, dy.data());
    // Gradients add to what the buffers hold (micro-batches accumulate): start from 1.
    Tensor dw(w.shape()), db(Shape{g.outChannels});
    std::fill_n(dw.data(), dw.elementCount(), 1.0f);
    std::fill_n(db.data(), db.elementCount(), 1.0f);
    backend.conv2dBackward(g, x.data(), w.data(), dy.data(), nullptr, dw.data(), db.data());
    std::vector<double> plusOneWeight = want.gradWeight, plusOneBias = want.gradBias;
    for (double& v : plusOneWeight)
        v += 1.0;
    for (double& v : plusOneBias)
        v += 1.0;
    expectClose(dw.data(), plusOneWeight, want.gradWeightSize, "gradWeight + 1", g);
    expectClose(db.data(), plusOneBias, want.gradBiasSize, "gradBias + 1", g);
}

// The workspace and weight sizes a OneDnnConvolution reports are all its calls
// write: a canary right behind each buffer survives forward and backward, and
// the results still match the definition.
TEST(CpuConvolution, OneDnnCallsStayInsideTheBuffersTheyAskFor)
{
    constexpr float kCanary = -12345.0f;
    constexpr int64_t kCanaryFloats = 64;
    const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    for (const Conv2dGeometry& g : {geometry(4, 1, 28, 16, 3, 1, 1), geometry(3, 16, 28, 32, 3, 2, 1),
                                    geometry(5, 16, 28, 32, 1, 2, 0), geometry(2, 6, 14, 16, 5, 1, 0)}) {
        const OneDnnConvolution convolution(engine, g, true);
        auto guarded = [&](int64_t floats) {
            std::vector<float> buffer(size_t(floats + kCanaryFloats), kCanary);
            return buffer;
        };
        auto canaryIntact = [&](const std::vector<float>& buffer, int64_t floats) {
            for (int64_t i = floats; i < floats + kCanaryFloats; ++i)
                if (buffer[size_t(i)] != kCanary)
                    return false;
            return true;
        };
        const Tensor x = randomTensor(Shape{g.batch, g.inChannels, g.inHeight, g.inWidth}, 11);
        const Tensor w = randomTensor(Shape{g.outChannels, g.inChannels, g.kernelHeight, g.kernelWidth}, 12);
        const Tensor b = randomTensor(Shape{g.outChannels}, 13);
        const Tensor dy = randomTensor(Shape{g.batch, g.outChannels, g.outHeight(), g.outWidth()}, 14);
        const Reference want = referenceConvolution(g, x.data(), w.data(), b.data(), dy.data());
        std::vector<float> workspace = guarded(convolution.workspaceFloats());
        std::vector<float> weights = guarded(convolution.blockedWeightsFloats());
        Tensor y(dy.shape()), dx(x.shape()), dw(w.shape()), db(b.shape());
        convolution.reorderWeights(WeightsFor::Forward, w.data(), weights.data(), workspace.data());
        convolution.forward(x.data(), weights.data(), b.data(), y.data(), workspace.data());
        convolution.reorderWeights(WeightsFor::BackwardData, w.data(), weights.data(), workspace.data());
        convolution.backward(x.data(), dy.data(), weights.data(), dx.data(), dw.data(), db.data(), workspace.data());
        EXPECT_TRUE(canaryIntact(workspace, convolution.workspaceFloats())) << convolution.forwardImplementation();
        EXPECT_TRUE(canaryIntact(weights, convolution.blockedWeightsFloats()));
        expectClose(y.data(), want.output, want.outputSize, "output", g);
        expectClose(dx.data(), want.gradInput, want.gradInputSize, "gradInput", g);
        expectClose(dw.data(), want.gradWeight, want.gradWeightSize, "gradWeight", g);
        expectClose(db.data(), want.gradBias, want.gradBiasSize, "gradBias", g);
    }
}

TEST(CpuConvolution, KernelsAreOneDnnsForTheBestInstructionSetOfThisCpu)
{
    const std::string kernels = cpuConvolutionKernels();
    EXPECT_EQ(kernels.rfind("oneDNN ", 0), 0u) << kernels;
    const CpuFeatures cpu = readCpuFeatures();
    if (cpu.hasSkylakeXAvx512())
        EXPECT_NE(kernels.find("(avx512_core"), std::string::npos) << kernels;
    else if (cpu.avx2)
        EXPECT_NE(kernels.find("(avx2"), std::string::npos) << kernels;
    else
        EXPECT_EQ(kernels.find("avx"), std::string::npos) << kernels;
}

} // namespace
} // namespace lpm
