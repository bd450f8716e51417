// Gradient clipping by global norm: before an update, every gradient is
// scaled by min(1, maxNorm / (‖g‖ + 1e-6)), where ‖g‖ is the 2-norm of all
// the model's gradients together (PyTorch's clip_grad_norm_).
//
// Exactness across partitions: the squared norm is summed per unit (in
// double, over the unit's gradients in index order), and the units' sums are
// added in unit order. A pipeline stage computes its own units' sums, and
// the stages exchange them before any of them updates (the executor's
// update), so every stage, and sequential training, add the same numbers in
// the same order and scale by the same factor, bit for bit.
#pragma once

#include <vector>

#include "nn/parameter_store.h"

namespace lpm {

// Σ g² over each unit's gradients, for units [firstUnit, lastUnit] of the
// store (they must be bound to it); entry u − firstUnit is unit u's. A store
// placed off the host is read through a host copy.
std::vector<double> unitGradientSquares(const ParameterStore& store, int firstUnit, int lastUnit);

// The factor every gradient is multiplied by: min(1, maxNorm / (√Σ + 1e-6)),
// the sum taken over `unitSquares` in order. maxNorm > 0.
float clippingScale(const std::vector<double>& unitSquares, float maxNorm);

} // namespace lpm
