// Cuts a Dataset into mini-batches for training (shuffled, seeded, random
// access by global step) and for evaluation (in order). From a corpus
// (Dataset::text) each training batch is B windows at uniformly drawn
// starts, keyed by the seed and the step alone.
//
// Shuffling: epoch e visits the samples in the order of a Fisher–Yates
// permutation driven by RandomStream(deriveKey(seed, e)), so the batch of any
// step is a pure function of (dataset, batch size, seed, step). Resuming a
// run from a checkpoint at step k therefore sees exactly the batches an
// uninterrupted run would have seen.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "data/dataset.h"
#include "tensor/tensor.h"

namespace lpm {

struct Batch {
    Tensor images;               // (B, C, H, W), values in [0, 1]; or token ids (B, T)
    std::vector<int32_t> labels; // B entries (B·T for sequences), each in [0, classes)
    int64_t epoch = 0;           // epoch the batch belongs to (0 for sliceBatch)
    int64_t indexInEpoch = 0;    // batch index within the epoch, 0..batchesPerEpoch-1

    // The labels of samples [first, first + count).
    std::span<const int32_t> labelsOf(int64_t first, int64_t count) const
    {
        const auto perSample = static_cast<int64_t>(labels.size()) / images.shape()[0];
        return std::span<const int32_t>(labels).subspan(size_t(first * perSample), size_t(count * perSample));
    }
};

class Batcher {
public:
    // `data` must outlive the Batcher and stay unchanged; only a reference is
    // kept. Throws InvalidArgument when batchSize < 1, when batchSize exceeds
    // data.count (no full batch), or when data's sizes are inconsistent.
    Batcher(const Dataset& data, int64_t batchSize, uint64_t seed);

    int64_t batchSize() const { return batchSize_; }
    // floor(count / batchSize) >= 1: the last partial batch of an epoch is
    // dropped (a different part is dropped each epoch, as the order changes).
    int64_t batchesPerEpoch() const { return batchesPerEpoch_; }

    // The batch of global training step `step` >= 0 (counted from 0 across
    // epochs): epoch = step / batchesPerEpoch, i = step % batchesPerEpoch,
    // samples perm_epoch[i*B .. (i+1)*B).
    //
    // Not thread-safe: the permutation of the most recently used epoch is
    // cached, so calls must come from one thread at a time.
    Batch batchAt(int64_t step) const;

    // The sample order of `epoch` >= 0: count entries, each sample index
    // exactly once. Uses (and refills) the same cache as batchAt.
    std::vector<int64_t> permutation(int64_t epoch) const { return cachedOrder(epoch); }

private:
    // Returns the cached permutation of `epoch`, computing it first if the
    // cache holds another epoch. The reference is valid until the next call.
    const std::vector<int64_t>& cachedOrder(int64_t epoch) const;

    const Dataset* data_ = nullptr; // not owned
    int64_t batchSize_ = 0;
    int64_t batchesPerEpoch_ = 0;
    uint64_t seed_ = 0;
    // Cache: the permutation of epoch cachedEpoch_ (-1 before the first use).
    mutable int64_t cachedEpoch_ = -1;
    mutable std::vector<int64_t> permutation_;
};

// Samples [first, first + count) of `data` in order, for evaluation.
// epoch and indexInEpoch are 0. Throws InvalidArgument when the range is
// empty or not inside [0, data.count).
Batch sliceBatch(const Dataset& data, int64_t first, int64_t count);

} // namespace lpm
