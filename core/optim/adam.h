// Adam (Kingma & Ba) with bias correction and optional L2 weight decay added
// to the gradient; as "adamw" (Loshchilov & Hutter), the decay is decoupled:
// the weights shrink by lr·decay before each step. State: first and second moments.
#pragma once

#include "optim/optimizer.h"

namespace lpm {

class Adam final : public Optimizer {
public:
    Adam(const OptimizerOptions& options, int64_t parameterCount);
    void updateRange(Backend& backend, ParameterStore& store, int64_t first, int64_t count,
                     int64_t stepNumber) override;

private:
    AdamHyper hyper_;
};

} // namespace lpm
