// The backend check (lpm check-backend) and the backend factory. The check
// itself is tested on the CPU: the multi-threaded CPU backend must agree with
// one thread exactly, and a backend with one wrong operation must be caught
// on exactly that operation's outputs. The GPU run is in test_cuda_backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "backend/backend_check.h"
#include "backend/cpu/cpu_backend.h"
#include "devices/backend_factory.h"
#include "expect_error.h"
#include "forwarding_backend.h"

namespace lpm {
namespace {

// The CPU backend with hooks to spoil one operation's result.
class SpoiledBackend final : public ForwardingCpuBackend {
public:
    bool spoilReluBackward = false;
    bool spoilConvWeightGradient = false;

    std::string name() const override { return "spoiled-cpu"; }
    void conv2dBackward(const Conv2dGeometry& g, const float* input, const float* weight, const float* dy, float* dx,
                        float* dw, float* db) override
    {
        ForwardingCpuBackend::conv2dBackward(g, input, weight, dy, dx, dw, db);
        if (spoilConvWeightGradient)
            dw[0] += 1.0f; // one element off: a relative error far above 1e-4
    }
    void reluBackward(int64_t count, const float* y, const float* dy, float* dx) override
    {
        ForwardingCpuBackend::reluBackward(count, y, dy, dx);
        if (spoilReluBackward)
            for (int64_t i = 0; i < count; ++i)
                dx[i] = dy[i]; // forgets the mask
    }
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
    for (const char* expected :
         {"Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "ReLU", "ResidualBlock", "Dropout", "BatchNorm2d",
          "SoftmaxCrossEntropy", "SGD", "Adam", "AdamW", "LayerNorm", "GELU", "Embedding", "CausalSelfAttention"})
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

TEST(BackendCheck, RunsThroughABackendsOwnMemory)
{
    // Every array of every case is allocated in the candidate's memory and
    // every compute call gets pointers into it (the GPU's situation).
    OffHostCpuBackend offHost;
    const BackendCheckReport report = checkBackendAgainstCpu(offHost, 3, 1e-4);
    EXPECT_TRUE(report.passed);
    EXPECT_EQ(report.worstError, 0.0);
    EXPECT_GT(offHost.device().allocations, 100);
    EXPECT_EQ(offHost.device().foreignPointers, 0);
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
