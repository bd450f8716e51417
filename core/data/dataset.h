// In-memory datasets and the loaders that fill them: image classification
// (MNIST-format folders such as Fashion-MNIST, the built-in synthetic set) and
// byte-level text for language models (data/text_dataset.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tensor/shape.h"

namespace lpm {

// A labelled set of samples, all the same size, stored sample-major.
// Images: each sample is C×H×W floats with one label.
// Sequences (tokens > 0): each sample is `tokens` token ids, held exactly in
// floats, and its labels are the `tokens` ids that follow each one.
// Invariants: images.size() == count*sampleSize(),
//             labels.size() == count*labelsPerSample(), every label in [0, classes);
// except for a corpus (text non-empty): then images and labels are empty and
// the samples are the count = text.size() − tokens windows of tokens + 1
// bytes, which Batcher draws at random.
struct Dataset {
    std::string name; // e.g. "fashion-mnist/train", "synthetic/test"
    int64_t count = 0;
    int64_t channels = 1, height = 28, width = 28;
    int64_t classes = 10;
    // count*C*H*W floats in (N, C, H, W) order; pixel/255, so in [0, 1].
    std::vector<float> images;
    std::vector<int32_t> labels; // count·labelsPerSample() entries
    int64_t tokens = 0;          // sequences: ids per sample (C, H, W are then 1)
    std::vector<uint8_t> text;   // a corpus to draw windows from, or empty

    // The shape of one sample: Shape{C, H, W}, or Shape{tokens} for sequences.
    Shape sampleShape() const;
    // The shape of `count` samples: the sample shape behind the batch extent.
    Shape batchShape(int64_t count) const;
    // Floats per sample: C*H*W, or tokens.
    int64_t sampleSize() const { return tokens > 0 ? tokens : channels * height * width; }
    // Labels per sample: 1, or tokens.
    int64_t labelsPerSample() const { return tokens > 0 ? tokens : 1; }
};

struct DatasetSplits {
    Dataset train;
    Dataset test;
};

// Base names of the four files of an MNIST-format folder; each may also be
// present with a ".gz" suffix (the plain file wins when both exist).
inline constexpr const char* kMnistTrainImages = "train-images-idx3-ubyte";
inline constexpr const char* kMnistTrainLabels = "train-labels-idx1-ubyte";
inline constexpr const char* kMnistTestImages = "t10k-images-idx3-ubyte";
inline constexpr const char* kMnistTestLabels = "t10k-labels-idx1-ubyte";

// Loads the train and test splits of an MNIST-format folder. Throws FileError
// for a missing folder or file (naming both names it looked for), for any
// malformed file (see idx_reader.h), when a split's image and label counts
// differ, or when train and test images differ in size.
DatasetSplits loadMnistFolder(const std::filesystem::path& folder);

// $LPM_FASHION_MNIST when set and non-empty, else the folder of the Debian
// package dataset-fashion-mnist: /usr/share/datasets/fashion-mnist.
std::filesystem::path defaultFashionMnistFolder();

// $LPM_TEXT_CORPUS when set and non-empty, else kDefaultCorpus (the Debian
// package jargon-text's Jargon File).
std::filesystem::path defaultTextCorpus();

// Loads a dataset by name:
//   "fashion-mnist"  the folder defaultFashionMnistFolder();
//   "synthetic"      makeSyntheticDataset with 6,000 train / 1,000 test
//                    samples generated from `seed`;
//   "text:PATH"      a byte-level corpus (loadTextDataset) in windows of
//                    `tokens` (the model's context; required for text);
//   "text"           the default corpus, defaultTextCorpus();
//   anything else    a path to an MNIST-format folder.
// `seed` affects the synthetic set and the text split. Throws FileError when
// loading fails and InvalidArgument for an empty spec or text without tokens.
DatasetSplits loadDataset(const std::string& spec, uint64_t seed, int64_t tokens = 0);

// `count` samples of `data` (all of them when it has no more), drawn without
// repeats by a permutation seeded with `seed` and kept in their order in
// `data`; named "<data.name> subset". The same seed gives the same samples.
Dataset sampleSubset(const Dataset& data, int64_t count, uint64_t seed);

// Shifts and scales the images of both splits, channel by channel, by the
// train split's mean and standard deviation, so the network sees inputs of
// zero mean and unit variance (the test split uses the train statistics).
// Sequences of token ids are left as they are.
void standardizeImages(DatasetSplits& splits);

} // namespace lpm
