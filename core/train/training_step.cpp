#include "train/training_step.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "nn/softmax_cross_entropy.h"
#include "tensor/error.h"
#include "tensor/random.h"

namespace lpm {

std::vector<int64_t> microBatchSizes(int64_t batch, int64_t microBatches)
{
    if (microBatches < 1 || microBatches > batch)
        throw InvalidArgument("micro-batches must be between 1 and the batch size "
                              + std::to_string(batch) + ", got " + std::to_string(microBatches));
    std::vector<int64_t> sizes(static_cast<size_t>(microBatches), batch / microBatches);
    for (int64_t i = 0; i < batch % microBatches; ++i)
        ++sizes[static_cast<size_t>(i)];
    return sizes;
}

Tensor sliceRows(const Tensor& tensor, int64_t first, int64_t count)
{
    const int64_t rowElements = tensor.shape().sampleElementCount();
    Tensor slice = Tensor::uninitialized(tensor.shape().withBatch(count));
    std::memcpy(slice.data(), tensor.data() + first * rowElements,
                sizeof(float) * size_t(count * rowElements));
    return slice;
}

uint64_t unitRandomKey(uint64_t seed, int64_t step, int unit)
{
    return deriveKey(deriveKey(seed, static_cast<uint64_t>(step)), static_cast<uint64_t>(unit));
}

StepResult runTrainingStep(Backend& backend, Model& model, ParameterStore& store,
                           Optimizer& optimizer, const Batch& batch, int64_t microBatches,
                           uint64_t seed, int64_t step)
{
    const int64_t batchSize = batch.images.shape()[0];
    const int units = model.unitCount();
    StepResult result;
    std::vector<std::unique_ptr<LayerContext>> contexts(static_cast<size_t>(units));
    int64_t offset = 0;
    for (int64_t size : microBatchSizes(batchSize, microBatches)) {
        Tensor activation = sliceRows(batch.images, offset, size);
        for (int index = 0; index < units; ++index) {
            StepInfo info{true, unitRandomKey(seed, step, index), offset};
            activation = model.unit(index).forward(backend, std::move(activation), info,
                                                   contexts[size_t(index)]);
        }
        std::span<const int32_t> labels(batch.labels.data() + offset, size_t(size));
        LossResult loss = softmaxCrossEntropy(backend, activation, labels, batchSize);
        result.lossSum += loss.lossSum;
        result.correct += loss.correct;
        result.samples += size;
        Tensor grad = std::move(loss.gradLogits);
        for (int index = units - 1; index >= 0; --index) {
            grad = model.unit(index).backward(backend, std::move(grad), *contexts[size_t(index)]);
            contexts[size_t(index)].reset();
        }
        offset += size;
    }
    optimizer.step(backend, store);
    store.zeroGradients();
    return result;
}

EvaluationResult evaluateModel(Backend& backend, Model& model, const Dataset& data,
                               int64_t batchSize)
{
    EvaluationResult result;
    double lossSum = 0.0;
    int64_t correct = 0;
    std::unique_ptr<LayerContext> context;
    for (int64_t first = 0; first < data.count; first += batchSize) {
        const int64_t count = std::min(batchSize, data.count - first);
        Batch batch = sliceBatch(data, first, count);
        Tensor activation = std::move(batch.images);
        for (int index = 0; index < model.unitCount(); ++index) {
            activation = model.unit(index).forward(backend, std::move(activation),
                                                   StepInfo{false, 0, 0}, context);
            context.reset();
        }
        LossResult loss = softmaxCrossEntropy(backend, activation, batch.labels, count);
        lossSum += loss.lossSum;
        correct += loss.correct;
    }
    result.samples = data.count;
    if (data.count > 0) {
        result.meanLoss = lossSum / double(data.count);
        result.accuracy = double(correct) / double(data.count);
    }
    return result;
}

} // namespace lpm
