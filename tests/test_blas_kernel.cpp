// The BLAS kernel choice (backend/cpu/blas_kernel.h): from the CPU's flags,
// never above them, respecting the environment, and checked at start.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "backend/cpu/blas_kernel.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_features.h"
#include "cli_test_support.h"

namespace lpm {
namespace {

CpuFeatures sse3Only()
{
    CpuFeatures f;
    f.vendor = "GenuineIntel";
    f.sse3 = true;
    return f;
}

CpuFeatures withAvx2(const std::string& vendor)
{
    CpuFeatures f = sse3Only();
    f.vendor = vendor;
    f.ssse3 = f.sse42 = f.avx = f.fma = f.avx2 = true;
    return f;
}

CpuFeatures withAvx512(const std::string& vendor, bool bf16)
{
    CpuFeatures f = withAvx2(vendor);
    f.avx512f = f.avx512cd = f.avx512bw = f.avx512dq = f.avx512vl = true;
    f.avx512bf16 = bf16;
    return f;
}

TEST(BlasKernel, BestKernelFollowsTheFlags)
{
    EXPECT_EQ(bestBlasKernelFor(CpuFeatures{}), "");
    EXPECT_EQ(bestBlasKernelFor(sse3Only()), "Prescott");
    CpuFeatures f = sse3Only();
    f.ssse3 = true;
    EXPECT_EQ(bestBlasKernelFor(f), "Core2");
    f.sse42 = true;
    EXPECT_EQ(bestBlasKernelFor(f), "Nehalem");
    f.avx = true;
    EXPECT_EQ(bestBlasKernelFor(f), "Sandybridge");
    f.avx2 = true; // AVX2 without FMA is not enough for the Haswell kernels
    EXPECT_EQ(bestBlasKernelFor(f), "Sandybridge");
    EXPECT_EQ(bestBlasKernelFor(withAvx2("GenuineIntel")), "Haswell");
    EXPECT_EQ(bestBlasKernelFor(withAvx2("AuthenticAMD")), "Zen");
    EXPECT_EQ(bestBlasKernelFor(withAvx512("GenuineIntel", false)), "SkylakeX");
    EXPECT_EQ(bestBlasKernelFor(withAvx512("AuthenticAMD", true)), "Cooperlake");
    // AVX-512 without VL (Knights Landing's subset) gets no SkylakeX kernel.
    CpuFeatures noVl = withAvx512("GenuineIntel", true);
    noVl.avx512vl = false;
    EXPECT_EQ(bestBlasKernelFor(noVl), "Haswell");
}

TEST(BlasKernel, SaferKernelsStepDownTheOrderWithinTheFlags)
{
    const CpuFeatures amd = withAvx512("AuthenticAMD", true);
    std::vector<std::string> chain;
    for (std::string kernel = "Cooperlake"; !kernel.empty(); kernel = saferBlasKernel(kernel, amd))
        chain.push_back(kernel);
    EXPECT_EQ(chain, (std::vector<std::string>{"Cooperlake", "SkylakeX", "Zen", "Sandybridge", "Nehalem", "Core2",
                                               "Prescott"}));
    // From a kernel above the flags, the next is one the flags allow.
    EXPECT_EQ(saferBlasKernel("SkylakeX", withAvx2("GenuineIntel")), "Haswell");
    EXPECT_EQ(saferBlasKernel("Zen", withAvx2("GenuineIntel")), "Sandybridge");
    EXPECT_EQ(saferBlasKernel("Prescott", amd), "");
    EXPECT_EQ(saferBlasKernel("NoSuchKernel", amd), "");
    EXPECT_EQ(blasKernelRank("Zen"), blasKernelRank("Haswell"));
    EXPECT_LT(blasKernelRank("Prescott"), blasKernelRank("Haswell"));
    EXPECT_LT(blasKernelRank("SkylakeX"), blasKernelRank("Cooperlake"));
}

TEST(BlasKernel, AGenericKernelOnANewCpuIsReplacedByTheBest)
{
    // The case of issue 25: a CPU OpenBLAS does not know runs Prescott.
    EXPECT_EQ(blasKernelToRunWith(withAvx512("GenuineIntel", false), "Prescott", false, {}), "SkylakeX");
    EXPECT_EQ(blasKernelToRunWith(withAvx512("GenuineIntel", true), "Prescott", false, {}), "Cooperlake");
    EXPECT_EQ(blasKernelToRunWith(withAvx2("AuthenticAMD"), "Unknown", false, {}), "Zen");
    // Already the best (Zen and Haswell rank alike): kept.
    EXPECT_EQ(blasKernelToRunWith(withAvx512("AuthenticAMD", true), "Cooperlake", false, {}), "");
    EXPECT_EQ(blasKernelToRunWith(withAvx2("AuthenticAMD"), "Haswell", false, {}), "");
    // A kernel above the flags is never kept.
    EXPECT_EQ(blasKernelToRunWith(withAvx2("GenuineIntel"), "SkylakeX", false, {}), "Haswell");
    // A rejected kernel is not chosen again.
    EXPECT_EQ(blasKernelToRunWith(withAvx512("AuthenticAMD", true), "Prescott", false, {"Cooperlake"}), "SkylakeX");
}

TEST(BlasKernel, TheEnvironmentsKernelIsRespectedUnlessTheCpuLacksIt)
{
    const CpuFeatures zen5 = withAvx512("AuthenticAMD", true);
    EXPECT_EQ(blasKernelToRunWith(zen5, "Haswell", true, {}), "");  // set on purpose: kept
    EXPECT_EQ(blasKernelToRunWith(zen5, "Prescott", true, {}), ""); // even when slow
    EXPECT_EQ(blasKernelToRunWith(withAvx2("GenuineIntel"), "SkylakeX", true, {}), "Haswell");
}

// The flags /proc/cpuinfo lists for the first processor.
std::set<std::string> procCpuinfoFlags()
{
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::set<std::string> flags;
    for (std::string line; std::getline(cpuinfo, line);)
        if (line.rfind("flags", 0) == 0) {
            std::istringstream words(line.substr(line.find(':') + 1));
            for (std::string word; words >> word;)
                flags.insert(word);
            break;
        }
    return flags;
}

TEST(BlasKernel, FeaturesAgreeWithTheKernelsView)
{
    const std::set<std::string> flags = procCpuinfoFlags();
    if (flags.empty())
        GTEST_SKIP() << "no flags line in /proc/cpuinfo (not an x86 Linux)";
    const CpuFeatures f = readCpuFeatures();
    // Linux lists a flag only where the OS has enabled its register state, as readCpuFeatures
    // requires.
    const std::pair<bool CpuFeatures::*, const char*> named[] = {
        {&CpuFeatures::sse3, "pni"},          {&CpuFeatures::ssse3, "ssse3"},
        {&CpuFeatures::sse42, "sse4_2"},      {&CpuFeatures::avx, "avx"},
        {&CpuFeatures::fma, "fma"},           {&CpuFeatures::avx2, "avx2"},
        {&CpuFeatures::avx512f, "avx512f"},   {&CpuFeatures::avx512cd, "avx512cd"},
        {&CpuFeatures::avx512bw, "avx512bw"}, {&CpuFeatures::avx512dq, "avx512dq"},
        {&CpuFeatures::avx512vl, "avx512vl"}, {&CpuFeatures::avx512bf16, "avx512_bf16"},
    };
    for (const auto& [member, flag] : named)
        EXPECT_EQ(f.*member, flags.count(flag) == 1) << flag;
    EXPECT_THAT(describeCpuFeatures(f), testing::HasSubstr(f.avx2 ? "avx2" : "pni"));
}

TEST(BlasKernel, TheRunningKernelAgreesWithThePlainProduct)
{
    std::string reason;
    EXPECT_TRUE(blasAgreesWithReference(reason)) << runningBlasKernel() << ": " << reason;
}

// ---- end to end: what `lpm` runs on --------------------------------------------

using testing_cli::Cli;
using testing_cli::quote;

// Sets an environment variable for the commands a test runs, and takes it away after.
class ScopedVariable {
public:
    ScopedVariable(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
    ~ScopedVariable() { unsetenv(name_); }

private:
    const char* name_;
};

class BlasKernelCli : public Cli {
protected:
    nlohmann::json devicesJson(const std::string& file)
    {
        const testing_cli::RunResult result = lpm("devices --json " + quote(path(file).string()));
        EXPECT_EQ(result.exitCode, 0) << result.err;
        return readJson(path(file));
    }
};

// `lpm devices` names the convolution kernels too, as the backend reports them.
TEST_F(BlasKernelCli, DevicesNamesTheConvolutionKernels)
{
    const nlohmann::json devices = devicesJson("convolutions.json");
    const std::string kernels = devices.at("convolution_kernels");
    EXPECT_EQ(kernels, cpuConvolutionKernels());
    EXPECT_EQ(kernels.rfind("oneDNN ", 0), 0u) << kernels;
    const testing_cli::RunResult text = lpm("devices");
    EXPECT_THAT(text.out, testing::HasSubstr("convolutions: " + kernels));
}

TEST_F(BlasKernelCli, LpmRunsTheBestKernelTheFlagsAllowOrTheEnvironments)
{
    const nlohmann::json devices = devicesJson("devices.json");
    const std::string kernel = devices.at("blas_kernel");
    const std::string detail = devices.at("blas_kernel_detail");
    const std::string best = bestBlasKernelFor(readCpuFeatures());
    EXPECT_EQ(devices.at("best_blas_kernel").get<std::string>(), best);
    if (const char* environment = std::getenv("OPENBLAS_CORETYPE")) {
        EXPECT_THAT(detail, testing::HasSubstr("set by the environment")) << environment;
        EXPECT_LE(blasKernelRank(kernel), blasKernelRank(best)) << "a kernel above the CPU's flags: " << detail;
    } else if (!best.empty()) {
        EXPECT_EQ(blasKernelRank(kernel), blasKernelRank(best)) << detail;
        EXPECT_THAT(detail, testing::HasSubstr("the best for this CPU"));
    }
}

TEST_F(BlasKernelCli, AKernelThatFailsTheStartCheckGivesWayToTheNextSaferOne)
{
    const std::string kernel = devicesJson("first.json").at("blas_kernel");
    const std::string safer = saferBlasKernel(kernel, readCpuFeatures());
    if (safer.empty())
        GTEST_SKIP() << "no kernel safer than " << kernel << " on this CPU";
    const ScopedVariable reject("LPM_TEST_BLAS_REJECT", kernel);
    const nlohmann::json devices = devicesJson("second.json");
    EXPECT_EQ(devices.at("blas_kernel").get<std::string>(), safer);
    EXPECT_THAT(devices.at("blas_kernel_detail").get<std::string>(),
                testing::HasSubstr(kernel + " disagreed with the reference product at start"));
    EXPECT_THAT(devices.at("blas_kernel_detail").get<std::string>(), testing::HasSubstr("so " + safer + " runs"));
}

TEST_F(BlasKernelCli, TrainSaysWhichKernelRanFirstAndInItsJson)
{
    const std::string kernel = devicesJson("devices.json").at("blas_kernel");
    const testing_cli::RunResult result =
        lpm("train --model mlp --dataset synthetic --steps 2 --batch 16 --json " + quote(path("run.json").string()));
    ASSERT_EQ(result.exitCode, 0) << result.err;
    ASSERT_FALSE(result.errLines().empty());
    EXPECT_THAT(result.errLines().front(), testing::HasSubstr("OpenBLAS kernel " + kernel));
    EXPECT_EQ(readJson(path("run.json")).at("blas_kernel").get<std::string>(), kernel);
}

} // namespace
} // namespace lpm
