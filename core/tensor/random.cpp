#include "tensor/random.h"

#include <cmath>

namespace lpm {

float RandomStream::nextNormal()
{
    // 1 - u keeps the logarithm's argument in (0, 1].
    float u1 = 1.0f - nextUniform();
    float u2 = nextUniform();
    return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.28318530717958647692f * u2);
}

} // namespace lpm
