// How a data set names text (--dataset, a design's training.dataset), in a
// header of plain values that the GUI may include.
#pragma once

#include <string>

namespace lpm {

inline constexpr const char* kTextDatasetPrefix = "text:";

// Whether a data set value names text: "text" (the default corpus) or "text:PATH".
inline bool isTextDatasetSpec(const std::string& spec)
{
    return spec == "text" || spec.starts_with(kTextDatasetPrefix);
}

// The data set a model trains on unless told otherwise: the default corpus
// for a language model, Fashion-MNIST for a model of images.
inline std::string defaultDatasetSpec(bool languageModel)
{
    return languageModel ? "text" : "fashion-mnist";
}

} // namespace lpm
