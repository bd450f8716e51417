#include "nn/softmax_cross_entropy.h"

#include "tensor/error.h"

namespace lpm {

LossResult softmaxCrossEntropy(Backend& backend, const Tensor& logits, std::span<const int32_t> labels,
                               int64_t miniBatchSize)
{
    const Shape& shape = logits.shape();
    if (shape.rank() != 2 || shape[0] != static_cast<int64_t>(labels.size()))
        throw InvalidArgument("softmax cross-entropy: expected logits (N, K) with N = " + std::to_string(labels.size())
                              + " labels, got " + shape.toString());
    for (size_t i = 0; i < labels.size(); ++i)
        if (labels[i] < 0 || labels[i] >= shape[1])
            throw InvalidArgument("softmax cross-entropy: label " + std::to_string(labels[i]) + " at row "
                                  + std::to_string(i) + " is outside [0, " + std::to_string(shape[1]) + ")");
    if (miniBatchSize <= 0)
        throw InvalidArgument("softmax cross-entropy: mini-batch size must be positive");
    LossResult result;
    result.gradLogits = Tensor::uninitializedLike(logits, shape);
    // The labels go where the logits are (checked above on the host).
    MemoryBlock placedLabels;
    const int32_t* labelData = labels.data();
    if (!logits.onHost()) {
        placedLabels = MemoryBlock(logits.space(), int64_t(labels.size_bytes()));
        placedLabels.copyFromHost(labels.data(), int64_t(labels.size_bytes()));
        labelData = placedLabels.as<int32_t>();
    }
    result.lossSum = backend.softmaxCrossEntropy(shape[0], shape[1], logits.data(), labelData,
                                                 1.0f / static_cast<float>(miniBatchSize), result.gradLogits.data(),
                                                 &result.correct);
    return result;
}

} // namespace lpm
