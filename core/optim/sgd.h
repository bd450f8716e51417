// Stochastic gradient descent with optional momentum, Nesterov momentum and
// L2 weight decay: g ← g + wd·w; v ← μ·v + g; w ← w − lr·(nesterov ? g + μ·v : v).
#pragma once

#include "optim/optimizer.h"

namespace lpm {

class Sgd final : public Optimizer {
public:
    Sgd(const OptimizerOptions& options, int64_t parameterCount);
    void updateRange(Backend& backend, ParameterStore& store, int64_t first, int64_t count,
                     int64_t stepNumber) override;

private:
    SgdHyper hyper_;
};

} // namespace lpm
