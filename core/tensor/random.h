// Deterministic random numbers that do not depend on the standard library's
// distributions (those differ between implementations) nor on call order
// across threads: every draw is a pure function of a 64-bit key.
//
// Keys are derived by mixing a seed with the coordinates of a draw (step,
// micro-batch, layer, ...), so any schedule that visits the same coordinates
// gets the same numbers, whatever order it visits them in.
#pragma once

#include <cstdint>

#include "tensor/host_device.h"

namespace lpm {

// SplitMix64 finaliser (also on the GPU: CUDA dropout draws the CPU's numbers): a bijective 64-bit mix with good
// avalanche.
LPM_HOST_DEVICE constexpr uint64_t mixBits(uint64_t value)
{
    value += 0x9e3779b97f4a7c15ULL;
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
    return value ^ (value >> 31);
}

// Combines a key with one more coordinate.
constexpr uint64_t deriveKey(uint64_t key, uint64_t coordinate)
{
    return mixBits(key ^ mixBits(coordinate + 0x632be59bd9b4e019ULL));
}

// A sequential stream over one key: draw i is mixBits(key + i·golden).
class RandomStream {
public:
    explicit RandomStream(uint64_t key) : state_(key) {}

    uint64_t nextBits()
    {
        state_ += 0x9e3779b97f4a7c15ULL;
        uint64_t value = state_;
        value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
        value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
        return value ^ (value >> 31);
    }
    // Uniform in [0, 1) with 24 bits of precision.
    float nextUniform() { return static_cast<float>(nextBits() >> 40) * 0x1.0p-24f; }
    // Uniform integer in [0, bound), bound > 0 (Lemire's multiply-shift, bias < 2^-32).
    uint64_t nextBelow(uint64_t bound)
    {
        __extension__ typedef unsigned __int128 Wide;
        return static_cast<uint64_t>((static_cast<Wide>(nextBits()) * bound) >> 64);
    }
    // Standard normal (Box–Muller on two uniforms).
    float nextNormal();

private:
    uint64_t state_;
};

// Uniform in [0, 1) for element `index` under `key`, without any stream state.
LPM_HOST_DEVICE inline float uniformAt(uint64_t key, uint64_t index)
{
    return static_cast<float>(mixBits(key ^ (index * 0xd6e8feb86659fd93ULL)) >> 40) * 0x1.0p-24f;
}

} // namespace lpm
