#include "nn/softmax_cross_entropy.h"

#include "tensor/error.h"

namespace lpm {

LossResult softmaxCrossEntropy(Backend& backend, const Tensor& logits, std::span<const int32_t> labels,
                               int64_t miniBatchSize)
{
    const Shape& shape = logits.shape();
    const bool sequence = shape.rank() == 3;
    const int64_t positions = sequence ? shape[1] : 1;
    const int64_t classes = shape[shape.rank() - 1];
    const int64_t rows = shape.rank() >= 2 ? shape[0] * positions : 0;
    if ((shape.rank() != 2 && !sequence) || rows != static_cast<int64_t>(labels.size()))
        throw InvalidArgument("softmax cross-entropy: expected logits (N, K) with N = " + std::to_string(labels.size())
                              + " labels, or (N, T, K) with N·T = " + std::to_string(labels.size()) + ", got "
                              + shape.toString());
    for (size_t i = 0; i < labels.size(); ++i)
        if (labels[i] < 0 || labels[i] >= classes)
            throw InvalidArgument("softmax cross-entropy: label " + std::to_string(labels[i]) + " at row "
                                  + std::to_string(i) + " is outside [0, " + std::to_string(classes) + ")");
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
    const float scale = 1.0f / static_cast<float>(miniBatchSize * positions);
    result.lossSum = backend.softmaxCrossEntropy(rows, classes, logits.data(), labelData, scale,
                                                 result.gradLogits.data(), &result.correct)
                     / double(positions);
    result.predictions = rows;
    return result;
}

} // namespace lpm
