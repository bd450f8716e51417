// The instruction-set extensions this CPU has and the operating system has
// enabled, read with cpuid and xgetbv (x86-64; elsewhere every flag is false).
// The BLAS kernel is chosen from these (blas_kernel.h), never from a list of
// CPU model names: a CPU newer than the BLAS is still recognised by its flags.
#pragma once

#include <string>

namespace lpm {

struct CpuFeatures {
    std::string vendor; // "GenuineIntel", "AuthenticAMD", ...; empty off x86
    bool sse3 = false;
    bool ssse3 = false;
    bool sse42 = false;
    // Usable only where the OS saves the registers (XCR0): the flags below are
    // false on a CPU that has the instructions but whose OS has not enabled
    // their state, since using them would fault.
    bool avx = false;     // and the OS saves YMM state
    bool fma = false;     // FMA3, with YMM state
    bool avx2 = false;    // with YMM state
    bool avx512f = false; // and the OS saves opmask and ZMM state
    bool avx512cd = false;
    bool avx512bw = false;
    bool avx512dq = false;
    bool avx512vl = false;
    bool avx512bf16 = false;

    // The AVX-512 subsets OpenBLAS's SkylakeX kernels use (F, CD, BW, DQ, VL).
    bool hasSkylakeXAvx512() const { return avx512f && avx512cd && avx512bw && avx512dq && avx512vl; }
};

// This CPU's features (cpuid leaves 1 and 7, XCR0 through xgetbv).
CpuFeatures readCpuFeatures();

// The flags as /proc/cpuinfo spells them ("avx2 fma avx512f ..."), for messages.
std::string describeCpuFeatures(const CpuFeatures& features);

} // namespace lpm
