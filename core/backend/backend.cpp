// The shared Adam bias corrections.
#include "backend/backend.h"

#include <cmath>

namespace lpm {

AdamStepScales adamStepScales(const AdamHyper& h)
{
    const double stepPower = static_cast<double>(h.step);
    const float correction1 = static_cast<float>(1.0 - std::pow(double(h.beta1), stepPower));
    const float correction2 = static_cast<float>(1.0 - std::pow(double(h.beta2), stepPower));
    AdamStepScales scales{h.learningRate / correction1, std::sqrt(correction2)};
    if (h.decoupledWeightDecay)
        scales.weightKeep = 1.0f - h.learningRate * h.weightDecay;
    else
        scales.gradientDecay = h.weightDecay;
    return scales;
}

} // namespace lpm
