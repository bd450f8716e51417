// A batch of random inputs for a model: normal pixels and labels in 0..9,
// drawn from `seed` (tests that compare gradients computed two ways).
#pragma once

#include <cstdint>
#include <vector>

#include "nn/model.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

namespace lpm {

struct RandomBatch {
    Tensor images;               // model.inputShape(samples)
    std::vector<int32_t> labels; // samples labels
};

inline RandomBatch randomBatch(const Model& model, int64_t samples, uint64_t seed)
{
    RandomBatch batch{Tensor(model.inputShape(samples)), {}};
    RandomStream stream(seed);
    for (float& value : batch.images.values())
        value = stream.nextNormal();
    for (int64_t i = 0; i < samples; ++i)
        batch.labels.push_back(int32_t(stream.nextBelow(10)));
    return batch;
}

} // namespace lpm
