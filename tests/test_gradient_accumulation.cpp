// Gradient accumulation over micro-batches, against an independent answer
// (issue 23): for every zoo model, the gradients that m = 4 micro-batches
// accumulate into one buffer equal, to rounding, the sum of the four
// micro-batches' gradients taken one at a time from zeroed buffers and added
// up here. A backward that wrote its gradients (`grad =`) where it must add
// them (`grad +=`) would leave the last micro-batch's alone and fail this;
// the exactness tests cannot see that, since their reference shares the
// layers' code.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "nn/model_zoo.h"
#include "nn/parameter_store.h"
#include "nn/softmax_cross_entropy.h"
#include "nn/unit_passes.h"
#include "random_batch.h"

namespace lpm {
namespace {

constexpr int64_t kMicroBatches = 4;
constexpr int64_t kMicroBatchSize = 3;
constexpr int64_t kBatch = kMicroBatches * kMicroBatchSize;
constexpr uint64_t kSeed = 9;

// Micro-batch k's forward and backward, its gradients added into the store's
// (the loss scaled by the whole mini-batch, as training scales it).
void accumulateMicroBatch(CpuBackend& backend, Model& model, const Tensor& images, const std::vector<int32_t>& labels,
                          int64_t k)
{
    const int last = model.unitCount() - 1;
    std::vector<std::unique_ptr<LayerContext>> contexts;
    const int64_t offset = k * kMicroBatchSize;
    Tensor logits =
        forwardUnits(backend, model, 0, last, sliceRows(images, offset, kMicroBatchSize), kSeed, 0, offset, contexts);
    const auto perSample = int64_t(labels.size()) / kBatch; // 1, or T for a language model
    const std::vector<int32_t> slice(labels.begin() + offset * perSample,
                                     labels.begin() + (offset + kMicroBatchSize) * perSample);
    backwardUnits(backend, model, 0, last, softmaxCrossEntropy(backend, logits, slice, kBatch).gradLogits, contexts);
}

TEST(GradientAccumulation, EveryZooModelAddsItsMicroBatchesGradients)
{
    for (const ZooEntry& entry : modelZoo()) {
        if (entry.large)
            continue; // real sizes: gpt-mini has their layers
        SCOPED_TRACE(entry.name);
        Model model = buildModel(entry.name);
        ParameterStore store(model);
        store.initialize(kSeed);
        CpuBackend backend(1);
        const auto [images, labels] = randomBatch(model, kBatch, 17);
        const size_t count = size_t(store.parameterCount());

        // Each micro-batch alone, summed here in double precision.
        std::vector<double> summed(count, 0.0);
        std::vector<float> last;
        for (int64_t k = 0; k < kMicroBatches; ++k) {
            store.zeroGradients();
            accumulateMicroBatch(backend, model, images, labels, k);
            last.assign(store.gradients(), store.gradients() + count);
            for (size_t i = 0; i < count; ++i)
                summed[i] += last[i];
        }
        // All four into one buffer, as training accumulates them.
        store.zeroGradients();
        for (int64_t k = 0; k < kMicroBatches; ++k)
            accumulateMicroBatch(backend, model, images, labels, k);
        const float* accumulated = store.gradients();

        double largest = 0.0, worst = 0.0, lastDeparture = 0.0;
        for (size_t i = 0; i < count; ++i) {
            largest = std::max(largest, std::abs(summed[i]));
            worst = std::max(worst, std::abs(double(accumulated[i]) - summed[i]));
            lastDeparture = std::max(lastDeparture, std::abs(double(last[i]) - summed[i]));
        }
        ASSERT_GT(largest, 0.0);
        // Float sums of four terms: rounding far below a part in ten thousand
        // of the largest gradient; the last micro-batch alone is far from the sum.
        EXPECT_LT(worst, 1e-5 * largest);
        EXPECT_GT(lastDeparture, 1e-2 * largest);
    }
}

} // namespace
} // namespace lpm
