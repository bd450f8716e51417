#include "backend/cpu/cpu_features.h"

#include <cstdint>
#include <cstring>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace lpm {

#if defined(__x86_64__) || defined(__i386__)

namespace {

// XCR0 bits: 1 SSE, 2 AVX (upper YMM), 5 opmask, 6 upper ZMM0-15, 7 ZMM16-31.
constexpr uint64_t kYmmState = (1u << 1) | (1u << 2);
constexpr uint64_t kZmmState = kYmmState | (1u << 5) | (1u << 6) | (1u << 7);

uint64_t readXcr0()
{
    uint32_t eax = 0;
    uint32_t edx = 0;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (uint64_t(edx) << 32) | eax;
}

bool bit(uint32_t word, int index)
{
    return (word >> index) & 1u;
}

} // namespace

CpuFeatures readCpuFeatures()
{
    CpuFeatures features;
    unsigned maxLeaf = 0;
    unsigned ebx = 0;
    unsigned ecx = 0;
    unsigned edx = 0;
    if (!__get_cpuid(0, &maxLeaf, &ebx, &ecx, &edx))
        return features;
    char vendor[13] = {};
    std::memcpy(vendor, &ebx, 4);
    std::memcpy(vendor + 4, &edx, 4);
    std::memcpy(vendor + 8, &ecx, 4);
    features.vendor = vendor;

    unsigned eax = 0;
    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    features.sse3 = bit(ecx, 0);
    features.ssse3 = bit(ecx, 9);
    features.sse42 = bit(ecx, 20);
    const bool osxsave = bit(ecx, 27);
    const uint64_t xcr0 = osxsave ? readXcr0() : 0;
    const bool ymm = (xcr0 & kYmmState) == kYmmState;
    const bool zmm = (xcr0 & kZmmState) == kZmmState;
    features.avx = bit(ecx, 28) && ymm;
    features.fma = bit(ecx, 12) && ymm;

    if (maxLeaf >= 7) {
        __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx);
        features.avx2 = bit(ebx, 5) && ymm;
        features.avx512f = bit(ebx, 16) && zmm;
        features.avx512dq = bit(ebx, 17) && zmm;
        features.avx512cd = bit(ebx, 28) && zmm;
        features.avx512bw = bit(ebx, 30) && zmm;
        features.avx512vl = bit(ebx, 31) && zmm;
        if (eax >= 1) { // leaf 7 sub-leaf 1: EAX bit 5 is AVX512_BF16
            unsigned subEax = 0;
            __get_cpuid_count(7, 1, &subEax, &ebx, &ecx, &edx);
            features.avx512bf16 = bit(subEax, 5) && zmm;
        }
    }
    return features;
}

#else

CpuFeatures readCpuFeatures()
{
    return {};
}

#endif

std::string describeCpuFeatures(const CpuFeatures& features)
{
    const std::pair<bool, const char*> flags[] = {
        {features.sse3, "pni"},          {features.ssse3, "ssse3"},       {features.sse42, "sse4_2"},
        {features.avx, "avx"},           {features.fma, "fma"},           {features.avx2, "avx2"},
        {features.avx512f, "avx512f"},   {features.avx512cd, "avx512cd"}, {features.avx512bw, "avx512bw"},
        {features.avx512dq, "avx512dq"}, {features.avx512vl, "avx512vl"}, {features.avx512bf16, "avx512_bf16"},
    };
    std::string text;
    for (const auto& [present, name] : flags)
        if (present) {
            if (!text.empty())
                text += ' ';
            text += name;
        }
    return text.empty() ? "none of sse3 and above" : text;
}

} // namespace lpm
