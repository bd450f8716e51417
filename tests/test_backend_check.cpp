// The backend check (lpm check-backend) and the backend factory. The check
// itself is tested on the CPU: the multi-threaded CPU backend must agree with
// one thread exactly, and a backend with one wrong operation must be caught
// on exactly that operation's outputs. The GPU run is in test_cuda_backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "backend/backend_check.h"
#include "backend/backend_factory.h"
#include "backend/cpu/cpu_backend.h"
#include "expect_error.h"

namespace lpm {
namespace {

// The CPU backend with hooks to spoil one operation's result.
class SpoiledBackend final : public Backend {
public:
    bool spoilReluBackward = false;
    bool spoilConvWeightGradient = false;

    std::string name() const override { return "spoiled-cpu"; }
    bool supports(BackendOp op) const override { return cpu_.supports(op); }
    int threadCount() const override { return 1; }
    void synchronize() override {}
    void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
              const float* b, int64_t ldb, float beta, float* c, int64_t ldc) override
    {
        cpu_.gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
    void addRowBias(int64_t rows, int64_t features, const float* bias, float* y) override
    {
        cpu_.addRowBias(rows, features, bias, y);
    }
    void accumulateColumnSums(int64_t rows, int64_t features, const float* dy, float* gradBias) override
    {
        cpu_.accumulateColumnSums(rows, features, dy, gradBias);
    }
    void conv2dForward(const Conv2dGeometry& g, const float* input, const float* weight, const float* bias,
                       float* output) override
    {
        cpu_.conv2dForward(g, input, weight, bias, output);
    }
    void conv2dBackward(const Conv2dGeometry& g, const float* input, const float* weight, const float* dy,
                        float* dx, float* dw, float* db) override
    {
        cpu_.conv2dBackward(g, input, weight, dy, dx, dw, db);
        if (spoilConvWeightGradient)
            dw[0] += 1.0f; // one element off: a relative error far above 1e-4
    }
    void maxPool2dForward(const Pool2dGeometry& g, const float* x, float* y, int32_t* argmax) override
    {
        cpu_.maxPool2dForward(g, x, y, argmax);
    }
    void maxPool2dBackward(const Pool2dGeometry& g, const float* dy, const int32_t* argmax, float* dx) override
    {
        cpu_.maxPool2dBackward(g, dy, argmax, dx);
    }
    void avgPool2dForward(const Pool2dGeometry& g, const float* x, float* y) override
    {
        cpu_.avgPool2dForward(g, x, y);
    }
    void avgPool2dBackward(const Pool2dGeometry& g, const float* dy, float* dx) override
    {
        cpu_.avgPool2dBackward(g, dy, dx);
    }
    void reluForward(int64_t count, const float* x, float* y) override { cpu_.reluForward(count, x, y); }
    void reluBackward(int64_t count, const float* y, const float* dy, float* dx) override
    {
        cpu_.reluBackward(count, y, dy, dx);
        if (spoilReluBackward)
            for (int64_t i = 0; i < count; ++i)
                dx[i] = dy[i]; // forgets the mask
    }
    void addInPlace(int64_t count, const float* x, float* y) override { cpu_.addInPlace(count, x, y); }
    void dropoutForward(int64_t count, float p, uint64_t key, int64_t first, const float* x, float* y,
                        float* mask) override
    {
        cpu_.dropoutForward(count, p, key, first, x, y, mask);
    }
    void multiply(int64_t count, const float* a, const float* b, float* y) override { cpu_.multiply(count, a, b, y); }
    void batchNormForwardTraining(const BatchNormGeometry& g, const float* x, const float* gamma, const float* beta,
                                  float* y, float* mean, float* invStd, float* runningMean,
                                  float* runningVar) override
    {
        cpu_.batchNormForwardTraining(g, x, gamma, beta, y, mean, invStd, runningMean, runningVar);
    }
    void batchNormForwardInference(const BatchNormGeometry& g, const float* x, const float* gamma,
                                   const float* beta, const float* mean, const float* var, float* y) override
    {
        cpu_.batchNormForwardInference(g, x, gamma, beta, mean, var, y);
    }
    void batchNormBackward(const BatchNormGeometry& g, const float* x, const float* gamma, const float* mean,
                           const float* invStd, const float* dy, float* dx, float* dgamma, float* dbeta) override
    {
        cpu_.batchNormBackward(g, x, gamma, mean, invStd, dy, dx, dgamma, dbeta);
    }
    double softmaxCrossEntropy(int64_t rows, int64_t classes, const float* logits, const int32_t* labels,
                               float scale, float* grad, int64_t* correct) override
    {
        return cpu_.softmaxCrossEntropy(rows, classes, logits, labels, scale, grad, correct);
    }
    void sgdUpdate(int64_t count, const SgdHyper& h, float* w, const float* g, float* v) override
    {
        cpu_.sgdUpdate(count, h, w, g, v);
    }
    void adamUpdate(int64_t count, const AdamHyper& h, float* w, const float* g, float* m, float* v) override
    {
        cpu_.adamUpdate(count, h, w, g, m, v);
    }

private:
    CpuBackend cpu_{1};
};

std::set<std::string> failingRows(const BackendCheckReport& report)
{
    std::set<std::string> rows;
    for (const BackendCheckRow& row : report.rows)
        if (!row.passed)
            rows.insert(row.layer.substr(0, row.layer.find(' ')) + " " + row.pass + " " + row.output);
    return rows;
}

TEST(BackendCheck, MultiThreadedCpuAgreesWithOneThreadExactlyOnEveryLayer)
{
    CpuBackend candidate(2);
    const BackendCheckReport report = checkBackendAgainstCpu(candidate, 12345, 1e-4);
    EXPECT_TRUE(report.passed);
    EXPECT_EQ(report.worstError, 0.0); // the CPU backend is thread-count invariant
    std::set<std::string> layers;
    for (const BackendCheckRow& row : report.rows) {
        layers.insert(row.layer.substr(0, row.layer.find(' ')));
        EXPECT_GT(row.elements, 0) << row.layer;
    }
    for (const char* expected : {"Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "ReLU", "ResidualBlock", "Dropout",
                                 "BatchNorm2d", "SoftmaxCrossEntropy", "SGD", "Adam"})
        EXPECT_TRUE(layers.count(expected)) << expected;
}

TEST(BackendCheck, CatchesExactlyTheSpoiledOperations)
{
    SpoiledBackend spoiled;
    EXPECT_TRUE(checkBackendAgainstCpu(spoiled, 7, 1e-4).passed);

    spoiled.spoilReluBackward = true;
    BackendCheckReport report = checkBackendAgainstCpu(spoiled, 7, 1e-4);
    EXPECT_FALSE(report.passed);
    EXPECT_EQ(failingRows(report), std::set<std::string>{"ReLU backward gradInput"});
    EXPECT_GT(report.worstError, 0.1);

    spoiled.spoilReluBackward = false;
    spoiled.spoilConvWeightGradient = true;
    report = checkBackendAgainstCpu(spoiled, 8, 1e-4);
    EXPECT_EQ(failingRows(report), std::set<std::string>{"Conv2d backward gradWeight"});
}

TEST(BackendFactory, MakesTheCpuBackendAndRefusesUnknownNames)
{
    BackendRequest request;
    request.cpuThreads = 2;
    EXPECT_EQ(makeBackend(request)->name(), "cpu");
    EXPECT_EQ(makeBackend(request)->threadCount(), 2);
    request.name = "tpu";
    expectError<InvalidArgument>([&] { makeBackend(request); }, {"'tpu'", "cpu, cuda or cuda:N"});
    request.name = "cuda:x";
    expectError<InvalidArgument>([&] { makeBackend(request); }, {"'cuda:x'", "cuda:N"});
    if (!cudaBackendBuilt()) {
        request.name = "cuda";
        expectError<InvalidArgument>([&] { makeBackend(request); }, {"no CUDA backend"});
    }
}

} // namespace
} // namespace lpm
