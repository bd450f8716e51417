// The cost figures a unit states for the planner, apart from the layer
// interface so that planning code (and the GUI) need no tensor headers.
#pragma once

#include <cstdint>

namespace lpm {

// Per-sample cost figures of a unit (parameterBytes is per unit, not per sample).
struct UnitCost {
    double forwardFlops = 0.0;  // multiply–adds count as 2
    double backwardFlops = 0.0; // input gradient plus parameter gradients
    int64_t parameterBytes = 0;
    int64_t outputBytes = 0; // activation that crosses a cut after this unit
    int64_t savedBytes = 0;  // kept from forward to backward
    int launches = 1;        // layer operations in the unit: each pays a fixed cost on a GPU
    // The part of backwardFlops that the parameter gradients take (a split
    // backward's W; the rest is B's).
    double weightGradientFlops = 0.0;
    // What a split backward keeps from B to W: the inputs and output gradients
    // W reads (linear layers, convolutions), per sample.
    int64_t weightGradientBytes = 0;
};

// Adds a part's figures to a composite unit's (all but outputBytes, which is
// the composite's own last output).
inline void addUnitCost(UnitCost& total, const UnitCost& part)
{
    total.forwardFlops += part.forwardFlops;
    total.backwardFlops += part.backwardFlops;
    total.weightGradientFlops += part.weightGradientFlops;
    total.weightGradientBytes += part.weightGradientBytes;
    total.parameterBytes += part.parameterBytes;
    total.savedBytes += part.savedBytes;
    total.launches += part.launches;
}

} // namespace lpm
