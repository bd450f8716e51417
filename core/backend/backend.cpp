// The shared Adam bias corrections.
#include "backend/backend.h"

#include <cmath>

namespace lpm {

AdamStepScales adamStepScales(const AdamHyper& h)
{
    const double stepPower = static_cast<double>(h.step);
    const float correction1 = static_cast<float>(1.0 - std::pow(double(h.beta1), stepPower));
    const float correction2 = static_cast<float>(1.0 - std::pow(double(h.beta2), stepPower));
    return {h.learningRate / correction1, std::sqrt(correction2)};
}

} // namespace lpm
