#include "optim/adam.h"

namespace lpm {

Adam::Adam(const OptimizerOptions& options, int64_t parameterCount)
    : Optimizer(parameterCount, 2)
{
    hyper_.learningRate = options.learningRate;
    hyper_.beta1 = options.beta1;
    hyper_.beta2 = options.beta2;
    hyper_.epsilon = options.epsilon;
    hyper_.weightDecay = options.weightDecay;
}

void Adam::step(Backend& backend, ParameterStore& store)
{
    ++stepCount_;
    hyper_.step = stepCount_;
    backend.adamUpdate(store.parameterCount(), hyper_, store.values(), store.gradients(),
                       state_[0].data(), state_[1].data());
}

} // namespace lpm
