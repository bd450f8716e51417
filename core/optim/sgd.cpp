#include "optim/sgd.h"

namespace lpm {

Sgd::Sgd(const OptimizerOptions& options, int64_t parameterCount)
    : Optimizer(options, parameterCount, options.momentum != 0.0f ? 1 : 0), hyper_{
                                                                                options.learningRate, options.momentum,
                                                                                options.weightDecay, options.nesterov}
{
}

void Sgd::updateRange(Backend& backend, ParameterStore& store, int64_t first, int64_t count, int64_t stepNumber)
{
    float* velocity = state_.empty() ? nullptr : stateData(0) + first;
    SgdHyper hyper = hyper_;
    hyper.learningRate = learningRateAt(options_, stepNumber);
    backend.sgdUpdate(count, hyper, store.values() + first, store.gradients() + first, velocity);
}

} // namespace lpm
