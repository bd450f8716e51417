#include "data/batcher.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "tensor/error.h"
#include "tensor/random.h"

namespace lpm {

namespace {
constexpr uint64_t kCorpusWindows = 0xc0de5; // key of the window draws, apart from the epoch permutations

// Checks the Dataset invariants the batch copies rely on.
void checkDataset(const Dataset& data, const char* caller)
{
    if (!data.text.empty()) {
        if (data.tokens < 1 || data.count != static_cast<int64_t>(data.text.size()) - data.tokens)
            throw InvalidArgument(std::string(caller) + ": corpus '" + data.name + "' is inconsistent ("
                                  + std::to_string(data.count) + " windows of " + std::to_string(data.tokens)
                                  + " tokens in " + std::to_string(data.text.size()) + " bytes)");
        return;
    }
    const int64_t sampleSize = data.sampleSize();
    const bool sizesOk = data.count >= 0 && data.channels > 0 && data.height > 0 && data.width > 0
                         && static_cast<int64_t>(data.images.size()) == data.count * sampleSize
                         && static_cast<int64_t>(data.labels.size()) == data.count * data.labelsPerSample();
    if (!sizesOk) {
        throw InvalidArgument(std::string(caller) + ": dataset '" + data.name + "' is inconsistent ("
                              + std::to_string(data.count) + " samples of " + std::to_string(data.channels) + "x"
                              + std::to_string(data.height) + "x" + std::to_string(data.width) + ", but "
                              + std::to_string(data.images.size()) + " floats and " + std::to_string(data.labels.size())
                              + " labels)");
    }
}

// Allocates a batch of `size` samples of `data`'s shape.
Batch makeBatch(const Dataset& data, int64_t size)
{
    Batch batch;
    batch.images = Tensor::uninitialized(data.batchShape(size));
    batch.labels.resize(static_cast<size_t>(size * data.labelsPerSample()));
    return batch;
}

// Copies sample `sample` of `data` into row `row` of `batch`: for a corpus,
// the window of tokens + 1 bytes starting at byte `sample`.
void copySample(const Dataset& data, int64_t sample, Batch& batch, int64_t row)
{
    const int64_t sampleSize = data.sampleSize(), perSample = data.labelsPerSample();
    if (!data.text.empty()) {
        for (int64_t t = 0; t < data.tokens; ++t) {
            batch.images.data()[row * sampleSize + t] = static_cast<float>(data.text[size_t(sample + t)]);
            batch.labels[size_t(row * perSample + t)] = static_cast<int32_t>(data.text[size_t(sample + t + 1)]);
        }
        return;
    }
    std::memcpy(batch.images.data() + row * sampleSize, data.images.data() + sample * sampleSize,
                static_cast<size_t>(sampleSize) * sizeof(float));
    std::copy_n(data.labels.begin() + sample * perSample, perSample, batch.labels.begin() + row * perSample);
}

} // namespace

Batcher::Batcher(const Dataset& data, int64_t batchSize, uint64_t seed)
    : data_(&data), batchSize_(batchSize), seed_(seed)
{
    checkDataset(data, "Batcher");
    if (batchSize < 1)
        throw InvalidArgument("Batcher: batch size " + std::to_string(batchSize) + " is below 1");
    // A corpus's epoch is as many windows as the text has tokens' worth of them.
    batchesPerEpoch_ =
        data.text.empty() ? data.count / batchSize : std::max<int64_t>(1, data.count / (batchSize * data.tokens));
    if (data.count / batchSize < 1) {
        throw InvalidArgument("Batcher: batch size " + std::to_string(batchSize) + " exceeds the "
                              + std::to_string(data.count) + " samples of dataset '" + data.name + "'");
    }
}

const std::vector<int64_t>& Batcher::cachedOrder(int64_t epoch) const
{
    if (epoch < 0)
        throw InvalidArgument("Batcher: negative epoch " + std::to_string(epoch));
    if (epoch == cachedEpoch_)
        return permutation_;
    const int64_t count = data_->count;
    permutation_.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i)
        permutation_[i] = i;
    // Fisher–Yates from the back: position i swaps with j uniform in [0, i].
    RandomStream stream(deriveKey(seed_, static_cast<uint64_t>(epoch)));
    for (int64_t i = count - 1; i > 0; --i) {
        int64_t j = static_cast<int64_t>(stream.nextBelow(static_cast<uint64_t>(i + 1)));
        std::swap(permutation_[i], permutation_[j]);
    }
    cachedEpoch_ = epoch;
    return permutation_;
}

Batch Batcher::batchAt(int64_t step) const
{
    if (step < 0)
        throw InvalidArgument("Batcher: negative step " + std::to_string(step));
    const int64_t epoch = step / batchesPerEpoch_;
    const int64_t index = step % batchesPerEpoch_;
    Batch batch = makeBatch(*data_, batchSize_);
    batch.epoch = epoch;
    batch.indexInEpoch = index;
    if (!data_->text.empty()) { // windows drawn uniformly, keyed by the step alone
        RandomStream stream(deriveKey(deriveKey(seed_, kCorpusWindows), static_cast<uint64_t>(step)));
        for (int64_t row = 0; row < batchSize_; ++row)
            copySample(*data_, static_cast<int64_t>(stream.nextBelow(static_cast<uint64_t>(data_->count))), batch, row);
        return batch;
    }
    const std::vector<int64_t>& order = cachedOrder(epoch);
    const int64_t first = index * batchSize_;
    for (int64_t row = 0; row < batchSize_; ++row)
        copySample(*data_, order[first + row], batch, row);
    return batch;
}

Batch sliceBatch(const Dataset& data, int64_t first, int64_t count)
{
    checkDataset(data, "sliceBatch");
    if (count < 1 || first < 0 || first > data.count - count) {
        throw InvalidArgument("sliceBatch: samples [" + std::to_string(first) + ", " + std::to_string(first + count)
                              + ") are not a non-empty range of the " + std::to_string(data.count)
                              + " samples of dataset '" + data.name + "'");
    }
    Batch batch = makeBatch(data, count);
    for (int64_t row = 0; row < count; ++row)
        copySample(data, first + row, batch, row);
    return batch;
}

} // namespace lpm
