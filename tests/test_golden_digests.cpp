// Later builds reproduce earlier weights bit for bit (issue 23): the digests
// of short training runs, pinned per CPU kernel path (the OpenBLAS kernel
// and oneDNN's convolution kernels, which decide the rounding). On a path
// with no pinned digests the test is skipped and prints the path and the
// digests it got, to be pinned from a machine that has that path.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "backend/cpu/blas_kernel.h"
#include "backend/cpu/cpu_backend.h"
#include "data/synthetic_dataset.h"
#include "train/trainer.h"

namespace lpm {
namespace {

// model → the weights digest after its run (below) on the path.
using PinnedDigests = std::map<std::string, std::string>;

// Recorded 2026-12-06 on the dev VM (AMD EPYC Zen 4, 2 vCPUs, AVX-512 with
// BF16), with the runs below, at the code of commit a85b562.
const std::map<std::string, PinnedDigests>& pinnedByPath()
{
    static const std::map<std::string, PinnedDigests> pinned = {
        {"Cooperlake | oneDNN 2.6.3 (avx512_core_bf16)",
         {{"mlp", "3377f27abc3295e2"}, {"cnn", "1d9d0ef8309bf190"}, {"resnet-mini", "a6d9d65da5018b3d"}}},
        // The same machine with OPENBLAS_CORETYPE=Haswell: another sgemm, other digests.
        {"Haswell | oneDNN 2.6.3 (avx512_core_bf16)",
         {{"mlp", "445f74d53c795092"}, {"cnn", "7c6998f5d89a1d1a"}, {"resnet-mini", "1f9d32175e5a169b"}}},
    };
    return pinned;
}

std::string kernelPath()
{
    return runningBlasKernel() + " | " + cpuConvolutionKernels();
}

// Three steps of batch 32 in 2 micro-batches, SGD with momentum, seed 1, on
// 256 synthetic samples (Fashion-MNIST's shape), one thread.
std::string digestOfShortRun(const std::string& model)
{
    SyntheticOptions data;
    data.trainCount = 256;
    data.testCount = 32;
    data.seed = 1;
    TrainOptions options;
    options.model = model;
    options.steps = 3;
    options.batch = 32;
    options.microBatches = 2;
    options.evaluate = false;
    options.liveEvaluation = false;
    const DatasetSplits splits = makeSyntheticDataset(data); // (the trainer reads it while it runs)
    Trainer trainer(options, splits);
    return trainer.run().weightsDigest;
}

TEST(GoldenDigests, ShortRunsReproduceThePinnedWeights)
{
    const std::string path = kernelPath();
    PinnedDigests got;
    std::string listed; // as the table above spells them
    for (const char* model : {"mlp", "cnn", "resnet-mini"}) {
        got[model] = digestOfShortRun(model);
        listed += std::string(listed.empty() ? "" : ", ") + "{\"" + model + "\", \"" + got[model] + "\"}";
    }
    const auto found = pinnedByPath().find(path);
    if (found == pinnedByPath().end())
        GTEST_SKIP() << "no digests pinned for kernel path \"" << path << "\"; this machine gives {" << listed << "}";
    EXPECT_EQ(got, found->second) << "kernel path \"" << path << "\" now gives {" << listed << "}";
}

} // namespace
} // namespace lpm
