// The data a zoo model trains on: images for the classifiers, byte-level text
// for the language models, whose samples are windows of their context length.
#pragma once

#include <cstdint>
#include <string>

#include "data/dataset.h"
#include "train/text_metrics.h"

namespace lpm {

// The context length of a language model (its samples are token ids), or 0
// for a model of images. Throws InvalidArgument for an unknown model.
int64_t modelTokens(const std::string& model);

// The dataset a model trains on unless told otherwise: "text" (the default
// corpus) for a language model, "fashion-mnist" for the others.
std::string defaultDatasetFor(const std::string& model);

// Loads `spec` (see loadDataset) for `model`: text in windows of the model's
// context, images standardised (standardizeImages).
DatasetSplits loadTrainingData(const std::string& spec, const std::string& model, uint64_t seed);

} // namespace lpm
