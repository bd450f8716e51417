#include "optim/adam.h"

namespace lpm {

Adam::Adam(const OptimizerOptions& options, int64_t parameterCount) : Optimizer(options, parameterCount, 2)
{
    hyper_.learningRate = options.learningRate;
    hyper_.beta1 = options.beta1;
    hyper_.beta2 = options.beta2;
    hyper_.epsilon = options.epsilon;
    hyper_.weightDecay = options.weightDecay;
    hyper_.decoupledWeightDecay = options.kind == "adamw";
}

void Adam::updateRange(Backend& backend, ParameterStore& store, int64_t first, int64_t count, int64_t stepNumber)
{
    AdamHyper hyper = hyper_;
    hyper.step = stepNumber;
    hyper.learningRate = learningRateAt(options_, stepNumber);
    backend.adamUpdate(count, hyper, store.values() + first, store.gradients() + first, stateData(0) + first,
                       stateData(1) + first);
}

} // namespace lpm
