#include "optim/gradient_clipping.h"

#include <cmath>

namespace lpm {

std::vector<double> unitGradientSquares(const ParameterStore& store, int firstUnit, int lastUnit)
{
    const int64_t first = store.unitParameterOffset(firstUnit);
    const int64_t count = store.unitParameterOffset(lastUnit + 1) - first;
    std::vector<float> copy;
    const float* gradients = store.gradients() + first;
    if (store.placedOffHost()) {
        copy.resize(size_t(count));
        store.space().copyToHost(copy.data(), gradients, int64_t(sizeof(float)) * count);
        gradients = copy.data();
    }
    std::vector<double> squares;
    for (int unit = firstUnit; unit <= lastUnit; ++unit) {
        const int64_t begin = store.unitParameterOffset(unit) - first;
        const int64_t end = store.unitParameterOffset(unit + 1) - first;
        double sum = 0.0;
        for (int64_t i = begin; i < end; ++i)
            sum += double(gradients[i]) * double(gradients[i]);
        squares.push_back(sum);
    }
    return squares;
}

float clippingScale(const std::vector<double>& unitSquares, float maxNorm)
{
    double total = 0.0;
    for (double squares : unitSquares)
        total += squares;
    const double scale = double(maxNorm) / (std::sqrt(total) + 1e-6);
    return scale < 1.0 ? float(scale) : 1.0f;
}

} // namespace lpm
