#include "optim/sgd.h"

namespace lpm {

Sgd::Sgd(const OptimizerOptions& options, int64_t parameterCount)
    : Optimizer(parameterCount, options.momentum != 0.0f ? 1 : 0),
      hyper_{options.learningRate, options.momentum, options.weightDecay, options.nesterov}
{
}

void Sgd::step(Backend& backend, ParameterStore& store)
{
    backend.sgdUpdate(store.parameterCount(), hyper_, store.values(), store.gradients(),
                      state_.empty() ? nullptr : state_[0].data());
    ++stepCount_;
}

} // namespace lpm
