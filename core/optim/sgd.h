// Stochastic gradient descent with optional momentum, Nesterov momentum and
// L2 weight decay: g ← g + wd·w; v ← μ·v + g; w ← w − lr·(nesterov ? g + μ·v : v).
#pragma once

#include "optim/optimizer.h"

namespace lpm {

class Sgd final : public Optimizer {
public:
    Sgd(const OptimizerOptions& options, int64_t parameterCount);
    void step(Backend& backend, ParameterStore& store) override;

private:
    SgdHyper hyper_;
};

} // namespace lpm
