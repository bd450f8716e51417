#include "nn/unit_passes.h"

#include "tensor/error.h"
#include "tensor/random.h"

namespace lpm {

std::vector<int64_t> microBatchSizes(int64_t batch, int64_t microBatches)
{
    if (microBatches < 1 || microBatches > batch)
        throw InvalidArgument("micro-batches must be between 1 and the batch size " + std::to_string(batch) + ", got "
                              + std::to_string(microBatches));
    std::vector<int64_t> sizes(static_cast<size_t>(microBatches), batch / microBatches);
    for (int64_t i = 0; i < batch % microBatches; ++i)
        ++sizes[static_cast<size_t>(i)];
    return sizes;
}

Tensor sliceRows(const Tensor& tensor, int64_t first, int64_t count)
{
    const int64_t rowElements = tensor.shape().sampleElementCount();
    Tensor slice = Tensor::uninitializedLike(tensor, tensor.shape().withBatch(count));
    tensor.space().copyWithin(slice.data(), tensor.data() + first * rowElements,
                              int64_t(sizeof(float)) * count * rowElements);
    return slice;
}

uint64_t unitRandomKey(uint64_t seed, int64_t step, int unit)
{
    return deriveKey(deriveKey(seed, static_cast<uint64_t>(step)), static_cast<uint64_t>(unit));
}

Tensor forwardUnits(Backend& backend, Model& model, int first, int last, Tensor input, uint64_t seed, int64_t step,
                    int64_t sampleOffset, std::vector<std::unique_ptr<LayerContext>>& contexts, bool recompute)
{
    contexts.resize(size_t(last - first + 1));
    Tensor activation = std::move(input);
    for (int unit = first; unit <= last; ++unit) {
        const StepInfo info{true, unitRandomKey(seed, step, unit), sampleOffset, recompute};
        activation = model.unit(unit).forward(backend, std::move(activation), info, contexts[size_t(unit - first)]);
    }
    return activation;
}

namespace {
void requireContexts(int first, int last, const std::vector<std::unique_ptr<LayerContext>>& contexts)
{
    bool complete = contexts.size() == size_t(last - first + 1);
    for (size_t i = 0; complete && i < contexts.size(); ++i)
        complete = contexts[i] != nullptr;
    if (!complete)
        throw InvalidArgument("backward of units " + std::to_string(first) + ".." + std::to_string(last)
                              + " without the contexts of their forward");
}
} // namespace

Tensor backwardInputUnits(Backend& backend, Model& model, int first, int last, Tensor gradOutput,
                          std::vector<std::unique_ptr<LayerContext>>& contexts)
{
    requireContexts(first, last, contexts);
    Tensor grad = std::move(gradOutput);
    for (int unit = last; unit >= first; --unit)
        grad = model.unit(unit).backwardInput(backend, std::move(grad), *contexts[size_t(unit - first)]);
    return grad;
}

void backwardWeightUnits(Backend& backend, Model& model, int first, int last,
                         std::vector<std::unique_ptr<LayerContext>>& contexts)
{
    requireContexts(first, last, contexts);
    for (int unit = last; unit >= first; --unit) {
        model.unit(unit).backwardWeights(backend, *contexts[size_t(unit - first)]);
        contexts[size_t(unit - first)].reset();
    }
}

Tensor backwardUnits(Backend& backend, Model& model, int first, int last, Tensor gradOutput,
                     std::vector<std::unique_ptr<LayerContext>>& contexts)
{
    requireContexts(first, last, contexts);
    Tensor grad = std::move(gradOutput);
    for (int unit = last; unit >= first; --unit) {
        grad = model.unit(unit).backward(backend, std::move(grad), *contexts[size_t(unit - first)]);
        contexts[size_t(unit - first)].reset();
    }
    return grad;
}

} // namespace lpm
