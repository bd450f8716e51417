#include "train/training_data.h"

#include <cmath>

#include "data/text_dataset.h"
#include "nn/model_zoo.h"
#include "tensor/error.h"

namespace lpm {

int64_t modelTokens(const std::string& model)
{
    return buildModel(model).tokens();
}

std::string defaultDatasetFor(const std::string& model)
{
    return defaultDatasetSpec(modelTokens(model) > 0);
}

DatasetSplits loadTrainingData(const std::string& spec, const std::string& model, uint64_t seed)
{
    const int64_t tokens = modelTokens(model);
    if (tokens > 0 && !isTextDatasetSpec(spec))
        throw InvalidArgument("dataset " + spec + ": model " + model
                              + " is a language model and trains on text: use text (the default corpus) or "
                                "text:PATH");
    DatasetSplits data = loadDataset(spec, seed, tokens);
    standardizeImages(data); // zero mean, unit variance: cnn gains ~1 point in one epoch
    return data;
}

} // namespace lpm
