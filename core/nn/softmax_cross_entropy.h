// Softmax cross-entropy loss over logits (N, K) and N labels in [0, K), or
// over every position of a sequence: logits (N, T, K) and N·T labels. A
// sample's loss is the mean over its positions. The gradient is scaled by
// 1 / (mini-batch size · T), not by the micro-batch's size, so summing the
// gradients of the m micro-batches gives exactly the gradient of the
// mini-batch's mean loss.
#pragma once

#include <cstdint>
#include <span>

#include "backend/backend.h"
#include "tensor/tensor.h"

namespace lpm {

struct LossResult {
    double lossSum = 0.0;    // Σ over the samples of their loss, unscaled
    int64_t correct = 0;     // predictions (rows) whose arg-max logit is the label
    int64_t predictions = 0; // rows judged: N, or N·T
    Tensor gradLogits;       // like the logits: (softmax − onehot) / (miniBatchSize · T)
};

// Throws InvalidArgument when the shapes disagree or a label is out of range.
LossResult softmaxCrossEntropy(Backend& backend, const Tensor& logits, std::span<const int32_t> labels,
                               int64_t miniBatchSize);

} // namespace lpm
