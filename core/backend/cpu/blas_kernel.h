// Which OpenBLAS kernel the CPU backend runs on, chosen from the CPU's flags.
//
// Debian's OpenBLAS (0.3.21, DYNAMIC_ARCH) picks its kernel from a list of CPU
// models it knows; on a newer CPU it falls back to its generic SSE3 kernel
// (Prescott) at a third of the speed. It reads OPENBLAS_CORETYPE once, when
// it loads, so `selectBlasKernel`, called first thing in main, re-executes
// the program once with that variable set when the running kernel is not the
// best one the CPU's flags allow (cpu_features.h):
//   - a kernel the CPU lacks instructions for is never chosen (an illegal
//     instruction would end the program);
//   - a value the environment already set is respected (some machines set it
//     on purpose, where an AVX-512 kernel misbehaves), unless it asks for
//     instructions the CPU lacks;
//   - the running kernel is checked at start against a plain reference on
//     small products (in a child process, so that a crash is seen too); when
//     it disagrees, the program re-executes on the next safer kernel and says so.
// Order of kernels, safest first: Prescott (SSE3), Core2 (SSSE3), Nehalem
// (SSE4.2), Sandybridge (AVX), Haswell or Zen (AVX2 + FMA, same rank),
// SkylakeX (AVX-512 F/CD/BW/DQ/VL), Cooperlake (SkylakeX + AVX512_BF16).
#pragma once

#include <string>
#include <vector>

#include "backend/cpu/cpu_features.h"

namespace lpm {

// The best kernel for these features, or "" below SSE3 (OpenBLAS then keeps its own choice).
std::string bestBlasKernelFor(const CpuFeatures& features);

// The next kernel down the order from `kernel` that these features allow
// ("" past Prescott, or for a name outside the order).
std::string saferBlasKernel(const std::string& kernel, const CpuFeatures& features);

// Position in the order above (Haswell and Zen share one); -1 for other names.
int blasKernelRank(const std::string& kernel);

// The kernel to re-execute with, or "" to keep the running one: the best for
// the features, unless the environment set the kernel (then only a kernel
// above what the features allow is replaced). Never one of `rejected`.
std::string blasKernelToRunWith(const CpuFeatures& features, const std::string& running, bool environmentSetsKernel,
                                const std::vector<std::string>& rejected);

// OpenBLAS's name for the kernel this process runs (openblas_get_corename).
std::string runningBlasKernel();

// True when cblas_sgemm agrees with a plain double-precision product on a few
// small shapes, transposes and β = 0 / 1 (relative 1e-4 of Σ|a·b|).
// `reason` gets what disagreed.
bool blasAgreesWithReference(std::string& reason);

// Call first in main, before any thread starts: may replace the process
// (execv of /proc/self/exe with the same arguments) as described above.
// Never throws; when nothing better can be done it keeps the running kernel.
void selectBlasKernel(char** argv);

// What runs and why, for `lpm devices`, `lpm train` and the studio.
struct BlasKernelReport {
    std::string kernel;                // running, e.g. "Cooperlake"
    std::string best;                  // the best the CPU's flags allow ("" below SSE3)
    std::string chosenBy;              // "from the CPU's flags", "by OPENBLAS_CORETYPE, set by the
                                       // environment", or "by OpenBLAS's own detection"
    std::vector<std::string> rejected; // kernels that failed the start-up check, in order
    std::string rejectionReason;       // what the last of them got wrong
    // One line, e.g. "OpenBLAS kernel SkylakeX (the best for this CPU), chosen from the CPU's
    // flags".
    std::string describe() const;
};
BlasKernelReport blasKernelReport();

} // namespace lpm
