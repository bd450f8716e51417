#include "train/training_step.h"

#include <algorithm>
#include <memory>

#include "nn/softmax_cross_entropy.h"

namespace lpm {

namespace {
// The images copied into the backend's memory, or an empty tensor when they are there already.
Tensor imagesFor(Backend& backend, const Tensor& images)
{
    const MemorySpace space = memorySpaceOf(backend);
    return space == images.space() ? Tensor() : images.copyTo(space);
}
} // namespace

StepResult runTrainingStep(Backend& backend, Model& model, ParameterStore& store, Optimizer& optimizer,
                           const Batch& batch, int64_t microBatches, uint64_t seed, int64_t step)
{
    const int64_t batchSize = batch.images.shape()[0];
    const int units = model.unitCount();
    StepResult result;
    std::vector<std::unique_ptr<LayerContext>> contexts;
    const Tensor placed = imagesFor(backend, batch.images);
    const Tensor& images = placed.empty() ? batch.images : placed;
    int64_t offset = 0;
    for (int64_t size : microBatchSizes(batchSize, microBatches)) {
        const Tensor activation =
            forwardUnits(backend, model, 0, units - 1, sliceRows(images, offset, size), seed, step, offset, contexts);
        LossResult loss = softmaxCrossEntropy(backend, activation, batch.labelsOf(offset, size), batchSize);
        result.lossSum += loss.lossSum;
        result.correct += loss.correct;
        result.samples += size;
        result.predictions += loss.predictions;
        backwardUnits(backend, model, 0, units - 1, std::move(loss.gradLogits), contexts);
        offset += size;
    }
    optimizer.step(backend, store);
    store.zeroGradients();
    return result;
}

EvaluationResult evaluateModel(Backend& backend, Model& model, const Dataset& data, int64_t batchSize)
{
    EvaluationResult result;
    double lossSum = 0.0;
    int64_t correct = 0, predictions = 0;
    std::unique_ptr<LayerContext> context;
    for (int64_t first = 0; first < data.count; first += batchSize) {
        const int64_t count = std::min(batchSize, data.count - first);
        Batch batch = sliceBatch(data, first, count);
        Tensor placed = imagesFor(backend, batch.images);
        Tensor activation = placed.empty() ? std::move(batch.images) : std::move(placed);
        for (int index = 0; index < model.unitCount(); ++index) {
            activation = model.unit(index).forward(backend, std::move(activation), StepInfo{false, 0, 0}, context);
            context.reset();
        }
        LossResult loss = softmaxCrossEntropy(backend, activation, batch.labels, count);
        lossSum += loss.lossSum;
        correct += loss.correct;
        predictions += loss.predictions;
    }
    result.samples = data.count;
    if (data.count > 0) {
        result.meanLoss = lossSum / double(data.count);
        result.accuracy = double(correct) / double(predictions);
    }
    return result;
}

} // namespace lpm
