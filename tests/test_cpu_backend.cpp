// The CPU backend's threading contract: results do not depend on the thread
// count, and separate backends may run concurrently on separate threads.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "layer_test_support.h"

namespace lpm {
namespace {

using testing::randomTensor;

struct ConvResult {
    Tensor output, gradInput, gradWeight, gradBias;
};

ConvResult runConv(CpuBackend& backend, const Conv2dGeometry& g, uint64_t seed)
{
    const Tensor x = randomTensor(Shape{g.batch, g.inChannels, g.inHeight, g.inWidth}, seed);
    const Tensor w = randomTensor(Shape{g.outChannels, g.inChannels, g.kernelHeight, g.kernelWidth}, seed + 1);
    const Tensor b = randomTensor(Shape{g.outChannels}, seed + 2);
    ConvResult r{Tensor(Shape{g.batch, g.outChannels, g.outHeight(), g.outWidth()}), Tensor(x.shape()),
                 Tensor(w.shape()), Tensor(b.shape())};
    backend.conv2dForward(g, x.data(), w.data(), b.data(), r.output.data());
    const Tensor dy = randomTensor(r.output.shape(), seed + 3);
    backend.conv2dBackward(g, x.data(), w.data(), dy.data(), r.gradInput.data(), r.gradWeight.data(),
                           r.gradBias.data());
    return r;
}

void expectBitIdentical(const Tensor& a, const Tensor& b, const char* what)
{
    ASSERT_EQ(a.shape(), b.shape()) << what;
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), sizeof(float) * size_t(a.elementCount()))) << what;
}

Conv2dGeometry geometry(int64_t batch, int64_t in, int64_t hw, int64_t out, int64_t k, int64_t stride, int64_t pad)
{
    return Conv2dGeometry{batch, in, hw, hw, out, k, k, stride, pad};
}

TEST(CpuBackend, ConvolutionDoesNotDependOnThreadCount)
{
    CpuBackend one(1), two(2), three(3);
    for (const Conv2dGeometry& g :
         {geometry(64, 32, 14, 64, 3, 1, 1), geometry(8, 3, 9, 5, 3, 2, 1), geometry(256, 16, 7, 16, 3, 1, 1)}) {
        const ConvResult a = runConv(one, g, 5), b = runConv(two, g, 5), c = runConv(three, g, 5);
        expectBitIdentical(a.output, b.output, "output 1 vs 2 threads");
        expectBitIdentical(a.gradInput, b.gradInput, "gradInput 1 vs 2");
        expectBitIdentical(a.gradWeight, b.gradWeight, "gradWeight 1 vs 2");
        expectBitIdentical(a.gradBias, b.gradBias, "gradBias 1 vs 2");
        expectBitIdentical(a.output, c.output, "output 1 vs 3");
        expectBitIdentical(a.gradWeight, c.gradWeight, "gradWeight 1 vs 3");
    }
}

TEST(CpuBackend, GemmDoesNotDependOnThreadCount)
{
    CpuBackend one(1), two(2);
    const Tensor a = randomTensor(Shape{96, 300}, 1), b = randomTensor(Shape{300, 80}, 2);
    Tensor c1(Shape{96, 80}), c2(Shape{96, 80});
    one.gemm(false, false, 96, 80, 300, 1.0f, a.data(), 300, b.data(), 80, 0.0f, c1.data(), 80);
    two.gemm(false, false, 96, 80, 300, 1.0f, a.data(), 300, b.data(), 80, 0.0f, c2.data(), 80);
    expectBitIdentical(c1, c2, "gemm");
    // Transposed operands, split by columns (m small).
    Tensor d1(Shape{4, 96}), d2(Shape{4, 96});
    const Tensor e = randomTensor(Shape{300, 4}, 3);
    one.gemm(true, true, 4, 96, 300, 1.0f, e.data(), 4, a.data(), 300, 0.0f, d1.data(), 96);
    two.gemm(true, true, 4, 96, 300, 1.0f, e.data(), 4, a.data(), 300, 0.0f, d2.data(), 96);
    expectBitIdentical(d1, d2, "transposed gemm");
    // Against a plain triple loop.
    for (int64_t i = 0; i < 4; ++i)
        for (int64_t j = 0; j < 96; ++j) {
            double sum = 0.0;
            for (int64_t k = 0; k < 300; ++k)
                sum += double(e[k * 4 + i]) * double(a[j * 300 + k]);
            EXPECT_NEAR(d1[i * 96 + j], sum, 1e-3);
        }
}

TEST(CpuBackend, SeparateBackendsRunConcurrently)
{
    const Conv2dGeometry g = geometry(32, 16, 14, 32, 3, 1, 1);
    CpuBackend reference(1);
    const ConvResult expected = runConv(reference, g, 9);
    std::vector<ConvResult> results(4);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < results.size(); ++t)
        threads.emplace_back([&, t] {
            CpuBackend backend(1);
            for (int repeat = 0; repeat < 3; ++repeat)
                results[t] = runConv(backend, g, 9);
        });
    for (std::thread& thread : threads)
        thread.join();
    for (const ConvResult& r : results) {
        expectBitIdentical(expected.output, r.output, "concurrent output");
        expectBitIdentical(expected.gradWeight, r.gradWeight, "concurrent gradWeight");
    }
}

TEST(CpuBackend, SgdAndAdamUpdates)
{
    CpuBackend backend(1);
    float w[2] = {1.0f, -2.0f};
    const float g[2] = {0.5f, 1.0f};
    float v[2] = {0.0f, 0.0f};
    SgdHyper sgd{0.1f, 0.9f, 0.01f, false};
    backend.sgdUpdate(2, sgd, w, g, v);
    // g' = g + 0.01·w = (0.51, 0.98); v = g'; w −= 0.1·v
    EXPECT_FLOAT_EQ(w[0], 1.0f - 0.051f);
    EXPECT_FLOAT_EQ(w[1], -2.0f - 0.098f);
    backend.sgdUpdate(2, sgd, w, g, v);
    const float g2 = 0.5f + 0.01f * (1.0f - 0.051f);
    EXPECT_FLOAT_EQ(v[0], 0.9f * 0.51f + g2);
    EXPECT_FLOAT_EQ(w[0], 1.0f - 0.051f - 0.1f * v[0]);
    // Nesterov: w −= lr·(g + μ·v) with v = μ·v + g.
    float wn[1] = {0.0f}, vn[1] = {1.0f};
    const float gn[1] = {2.0f};
    backend.sgdUpdate(1, SgdHyper{0.5f, 0.5f, 0.0f, true}, wn, gn, vn);
    EXPECT_FLOAT_EQ(vn[0], 2.5f);
    EXPECT_FLOAT_EQ(wn[0], -0.5f * (2.0f + 0.5f * 2.5f));
    // Adam's first step moves every weight by lr·sign(g) (up to ε).
    float wa[2] = {0.0f, 0.0f}, m[2] = {}, s[2] = {};
    const float ga[2] = {0.3f, -4.0f};
    backend.adamUpdate(2, AdamHyper{0.01f, 0.9f, 0.999f, 1e-8f, 0.0f, 1}, wa, ga, m, s);
    EXPECT_NEAR(wa[0], -0.01f, 1e-6f);
    EXPECT_NEAR(wa[1], 0.01f, 1e-6f);
}

} // namespace
} // namespace lpm
