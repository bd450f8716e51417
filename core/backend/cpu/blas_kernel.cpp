#include "backend/cpu/blas_kernel.h"

#include <cblas.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sstream>

extern "C" char* openblas_get_corename(void);

namespace lpm {

namespace {

// Carried across the re-execution (the environment is all that survives it).
constexpr const char* kCoretypeVariable = "OPENBLAS_CORETYPE";
constexpr const char* kChosenByVariable = "LPM_BLAS_CHOSEN_BY"; // flags | environment | detection
constexpr const char* kRejectedVariable = "LPM_BLAS_REJECTED";  // "Cooperlake,SkylakeX"
constexpr const char* kReasonVariable = "LPM_BLAS_REJECTION_REASON";
// Tests only: kernels whose start-up check is made to fail ("Cooperlake,...").
constexpr const char* kTestRejectVariable = "LPM_TEST_BLAS_REJECT";

std::vector<std::string> splitNames(const char* text)
{
    std::vector<std::string> names;
    std::stringstream stream(text ? text : "");
    std::string name;
    while (std::getline(stream, name, ','))
        if (!name.empty())
            names.push_back(name);
    return names;
}

std::string joinNames(const std::vector<std::string>& names)
{
    std::string text;
    for (const std::string& name : names)
        text += (text.empty() ? "" : ",") + name;
    return text;
}

bool contains(const std::vector<std::string>& names, const std::string& name)
{
    return std::find(names.begin(), names.end(), name) != names.end();
}

bool allowedBy(const std::string& kernel, const CpuFeatures& f)
{
    if (kernel == "Cooperlake")
        return f.hasSkylakeXAvx512() && f.avx512bf16;
    if (kernel == "SkylakeX")
        return f.hasSkylakeXAvx512();
    if (kernel == "Haswell" || kernel == "Zen")
        return f.avx2 && f.fma;
    if (kernel == "Sandybridge")
        return f.avx;
    if (kernel == "Nehalem")
        return f.sse42;
    if (kernel == "Core2")
        return f.ssse3;
    if (kernel == "Prescott")
        return f.sse3;
    return false;
}

// The AVX2 kernel of the CPU's maker: OpenBLAS tunes Zen's blocking for AMD's caches.
std::string avx2KernelFor(const CpuFeatures& features)
{
    return features.vendor == "AuthenticAMD" ? "Zen" : "Haswell";
}

// The order, best first; the AVX2 rung is the vendor's kernel.
std::vector<std::string> kernelsBestFirst(const CpuFeatures& features)
{
    return {"Cooperlake", "SkylakeX", avx2KernelFor(features), "Sandybridge", "Nehalem", "Core2", "Prescott"};
}

std::string lowercase(std::string text)
{
    for (char& c : text)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// Deterministic values in [-1, 1) (a 32-bit LCG: the check must not depend on a seed).
void fillPattern(std::vector<float>& values, uint32_t state)
{
    for (float& value : values) {
        state = state * 1664525u + 1013904223u;
        value = float(state >> 8) / float(1u << 23) - 1.0f;
    }
}

// One product C = α·op(A)·op(B) + β·C (row-major) against double-precision loops.
bool productAgrees(int m, int n, int k, bool transA, bool transB, float beta, std::string& reason)
{
    std::vector<float> a(size_t(m) * size_t(k));
    std::vector<float> b(size_t(k) * size_t(n));
    std::vector<float> c(size_t(m) * size_t(n));
    fillPattern(a, 1u + uint32_t(m));
    fillPattern(b, 7u + uint32_t(n));
    fillPattern(c, 13u + uint32_t(k));
    const std::vector<float> c0 = c;
    const int lda = transA ? m : k;
    const int ldb = transB ? k : n;
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k, 1.0f,
                a.data(), lda, b.data(), ldb, beta, c.data(), n);
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
            double sum = 0.0;
            double magnitude = 0.0;
            for (int p = 0; p < k; ++p) {
                const double x = transA ? a[size_t(p) * size_t(m) + size_t(i)] : a[size_t(i) * size_t(k) + size_t(p)];
                const double y = transB ? b[size_t(j) * size_t(k) + size_t(p)] : b[size_t(p) * size_t(n) + size_t(j)];
                sum += x * y;
                magnitude += std::abs(x * y);
            }
            const size_t at = size_t(i) * size_t(n) + size_t(j);
            const double expected = sum + double(beta) * c0[at];
            const double scale = magnitude + std::abs(double(beta) * c0[at]) + 1e-30;
            if (!(std::abs(double(c[at]) - expected) <= 1e-4 * scale)) {
                std::ostringstream text;
                text << "sgemm " << m << "x" << n << "x" << k << (transA ? " Aᵀ" : " A") << (transB ? "·Bᵀ" : "·B")
                     << " β=" << beta << " gave " << c[at] << " at (" << i << ", " << j << "), expected " << expected;
                reason = text.str();
                return false;
            }
        }
    return true;
}

// The check in a child process, so that a kernel that crashes is seen as one that disagrees.
bool runningKernelPassesCheck(std::string& reason)
{
    const std::string running = runningBlasKernel();
    if (contains(splitNames(std::getenv(kTestRejectVariable)), running)) {
        reason = std::string("made to fail by ") + kTestRejectVariable + " (a test)";
        return false;
    }
    int pipeEnds[2];
    if (pipe(pipeEnds) != 0)
        return blasAgreesWithReference(reason);
    const pid_t child = fork();
    if (child < 0) {
        close(pipeEnds[0]);
        close(pipeEnds[1]);
        return blasAgreesWithReference(reason);
    }
    if (child == 0) {
        close(pipeEnds[0]);
        std::string childReason;
        const bool agrees = blasAgreesWithReference(childReason);
        if (!agrees && write(pipeEnds[1], childReason.data(), childReason.size()) < 0)
            _exit(2);
        _exit(agrees ? 0 : 1);
    }
    close(pipeEnds[1]);
    std::string childReason;
    std::array<char, 256> buffer{};
    ssize_t got = 0;
    while ((got = read(pipeEnds[0], buffer.data(), buffer.size())) > 0)
        childReason.append(buffer.data(), size_t(got));
    close(pipeEnds[0]);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    if (WIFSIGNALED(status))
        reason = "the check crashed (signal " + std::to_string(WTERMSIG(status)) + ")";
    else
        reason = childReason.empty() ? "the check failed" : childReason;
    return false;
}

// Replaces the process by itself with the variables set; returns only when that fails.
void reexecute(char** argv, const std::string& kernel, const std::string& chosenBy,
               const std::vector<std::string>& rejected, const std::string& reason)
{
    setenv(kCoretypeVariable, kernel.c_str(), 1);
    setenv(kChosenByVariable, chosenBy.c_str(), 1);
    if (!rejected.empty()) {
        setenv(kRejectedVariable, joinNames(rejected).c_str(), 1);
        setenv(kReasonVariable, reason.c_str(), 1);
    }
    execv("/proc/self/exe", argv);
}

// Set by selectBlasKernel when the check failed and nothing safer was left.
// What selectBlasKernel could not mend: the kernels that failed the check with
// no safer one left, and why the last did.
struct UnresolvedRejection {
    std::vector<std::string> kernels;
    std::string reason;
};
UnresolvedRejection& unresolvedRejection()
{
    static UnresolvedRejection rejection;
    return rejection;
}

} // namespace

int blasKernelRank(const std::string& kernel)
{
    static const std::vector<std::string> safestFirst = {"Prescott", "Core2",    "Nehalem",   "Sandybridge",
                                                         "Haswell",  "SkylakeX", "Cooperlake"};
    if (kernel == "Zen")
        return blasKernelRank("Haswell");
    const auto at = std::find(safestFirst.begin(), safestFirst.end(), kernel);
    return at == safestFirst.end() ? -1 : int(at - safestFirst.begin());
}

std::string bestBlasKernelFor(const CpuFeatures& features)
{
    for (const std::string& kernel : kernelsBestFirst(features))
        if (allowedBy(kernel, features))
            return kernel;
    return "";
}

std::string saferBlasKernel(const std::string& kernel, const CpuFeatures& features)
{
    const int rank = blasKernelRank(kernel);
    if (rank < 0)
        return "";
    for (const std::string& candidate : kernelsBestFirst(features))
        if (blasKernelRank(candidate) < rank && allowedBy(candidate, features))
            return candidate;
    return "";
}

std::string blasKernelToRunWith(const CpuFeatures& features, const std::string& running, bool environmentSetsKernel,
                                const std::vector<std::string>& rejected)
{
    std::string best = bestBlasKernelFor(features);
    while (!best.empty() && contains(rejected, best))
        best = saferBlasKernel(best, features);
    if (best.empty())
        return "";
    const int runningRank = blasKernelRank(running);
    if (environmentSetsKernel)
        return runningRank > blasKernelRank(best) ? best : "";
    return runningRank == blasKernelRank(best) ? "" : best;
}

std::string runningBlasKernel()
{
    const char* name = openblas_get_corename();
    return name ? name : "unknown";
}

bool blasAgreesWithReference(std::string& reason)
{
    // Odd sizes reach the kernels' edge cases; 64 the full tiles.
    struct Case {
        int m, n, k;
        bool transA, transB;
        float beta;
    };
    const Case cases[] = {{37, 29, 53, false, false, 0.0f}, {64, 64, 64, false, false, 1.0f},
                          {5, 130, 17, true, false, 0.0f},  {33, 48, 70, false, true, 1.0f},
                          {96, 7, 40, true, true, 0.0f},    {1, 200, 31, false, false, 0.0f}};
    for (const Case& c : cases)
        if (!productAgrees(c.m, c.n, c.k, c.transA, c.transB, c.beta, reason))
            return false;
    return true;
}

void selectBlasKernel(char** argv)
{
    const CpuFeatures features = readCpuFeatures();
    const std::string running = runningBlasKernel();
    std::vector<std::string> rejected = splitNames(std::getenv(kRejectedVariable));
    const char* chosenBy = std::getenv(kChosenByVariable);
    const bool environmentSetsKernel = std::getenv(kCoretypeVariable) != nullptr && chosenBy == nullptr;
    if (chosenBy == nullptr) { // the first start: choose from the flags
        const std::string kernel = blasKernelToRunWith(features, running, environmentSetsKernel, rejected);
        if (!kernel.empty()) {
            reexecute(argv, kernel, "flags", rejected, "");
            // Still here: execv failed, so run on what OpenBLAS chose.
            unsetenv(kChosenByVariable);
            if (!environmentSetsKernel)
                unsetenv(kCoretypeVariable);
        }
    }
    std::string reason;
    if (runningKernelPassesCheck(reason))
        return;
    rejected.push_back(running);
    std::string safer = saferBlasKernel(running, features);
    while (!safer.empty() && contains(rejected, safer))
        safer = saferBlasKernel(safer, features);
    const std::string source = chosenBy ? chosenBy : (environmentSetsKernel ? "environment" : "detection");
    if (!safer.empty())
        reexecute(argv, safer, source, rejected, reason);
    unresolvedRejection() = {rejected, reason};
}

BlasKernelReport blasKernelReport()
{
    BlasKernelReport report;
    const CpuFeatures features = readCpuFeatures();
    report.kernel = runningBlasKernel();
    report.best = bestBlasKernelFor(features);
    const char* chosenBy = std::getenv(kChosenByVariable);
    const char* coretype = std::getenv(kCoretypeVariable);
    const std::string source = chosenBy ? chosenBy : (coretype ? "environment" : "detection");
    if (source == "flags")
        report.chosenBy = "from the CPU's flags";
    else if (source == "environment")
        report.chosenBy = std::string("by ") + kCoretypeVariable + ", set by the environment";
    else
        report.chosenBy = "by OpenBLAS's own detection";
    report.rejected = splitNames(std::getenv(kRejectedVariable));
    const char* reason = std::getenv(kReasonVariable);
    report.rejectionReason = reason ? reason : "";
    if (!unresolvedRejection().kernels.empty()) {
        report.rejected = unresolvedRejection().kernels;
        report.rejectionReason = unresolvedRejection().reason;
    }
    if (coretype && source == "environment" && lowercase(coretype) != lowercase(report.kernel)
        && report.rejected.empty())
        report.chosenBy = std::string("by OpenBLAS's own detection (") + kCoretypeVariable + "=" + coretype
                          + " names no kernel of this OpenBLAS)";
    return report;
}

std::string BlasKernelReport::describe() const
{
    std::string text = "OpenBLAS kernel " + kernel;
    if (!best.empty() && blasKernelRank(kernel) == blasKernelRank(best))
        text += " (the best for this CPU)";
    else if (!best.empty())
        text += " (this CPU allows " + best + ")";
    text += ", chosen " + chosenBy;
    if (!rejected.empty()) {
        text += "; " + joinNames(rejected) + " disagreed with the reference product at start (" + rejectionReason + ")";
        if (contains(rejected, kernel))
            text += " and no safer kernel was left";
        else
            text += ", so " + kernel + " runs";
    }
    return text;
}

} // namespace lpm
