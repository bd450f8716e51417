// Softmax cross-entropy loss over logits (N, K) and labels in [0, K).
// The gradient is scaled by 1 / (mini-batch size), not by the micro-batch's
// size, so summing the gradients of the m micro-batches gives exactly the
// gradient of the mini-batch's mean loss.
#pragma once

#include <cstdint>
#include <span>

#include "backend/backend.h"
#include "tensor/tensor.h"

namespace lpm {

struct LossResult {
    double lossSum = 0.0; // Σ over the rows of −log p(label), unscaled
    int64_t correct = 0;  // rows whose arg-max logit is the label
    Tensor gradLogits;    // (N, K): (softmax − onehot) / miniBatchSize
};

// Throws InvalidArgument when the shapes disagree or a label is out of range.
LossResult softmaxCrossEntropy(Backend& backend, const Tensor& logits, std::span<const int32_t> labels,
                               int64_t miniBatchSize);

} // namespace lpm
