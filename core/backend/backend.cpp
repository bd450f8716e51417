// The shared Adam bias corrections and token-id check.
#include "backend/backend.h"

#include <cmath>
#include <string>

#include "tensor/error.h"

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

int64_t checkedTokenId(float value, int64_t vocabulary, int64_t row)
{
    const auto id = static_cast<int64_t>(value);
    if (!(value >= 0.0f) || float(id) != value || id >= vocabulary)
        throw InvalidArgument("embedding: token id " + std::to_string(value) + " at position " + std::to_string(row)
                              + " is not a whole number in [0, " + std::to_string(vocabulary) + ")");
    return id;
}

} // namespace lpm
