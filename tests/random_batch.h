// A batch of random inputs for a model, drawn from `seed` (tests that compare
// gradients computed two ways): normal pixels and labels in 0..9 for an
// image model; token ids and next-token labels in [0, vocabulary) for a
// language model (one label per position).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "nn/model.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

namespace lpm {

struct RandomBatch {
    Tensor images;               // model.inputShape(samples)
    std::vector<int32_t> labels; // samples labels, or samples·T
};

inline RandomBatch randomBatch(const Model& model, int64_t samples, uint64_t seed)
{
    RandomBatch batch{Tensor(model.inputShape(samples)), {}};
    RandomStream stream(seed);
    const bool tokens = model.tokens() > 0;
    const auto classes = uint64_t(model.classes());
    for (float& value : batch.images.values())
        value = tokens ? float(stream.nextBelow(classes)) : stream.nextNormal();
    const int64_t labels = samples * std::max<int64_t>(model.tokens(), 1);
    for (int64_t i = 0; i < labels; ++i)
        batch.labels.push_back(int32_t(stream.nextBelow(tokens ? classes : 10)));
    return batch;
}

} // namespace lpm
