// In-memory image classification datasets and the loaders that fill them:
// MNIST-format folders (MNIST, Fashion-MNIST) and the built-in synthetic set.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tensor/shape.h"

namespace lpm {

// A labelled set of images, all the same size, stored sample-major.
// Invariants: images.size() == count*channels*height*width,
//             labels.size() == count, every label in [0, classes).
struct Dataset {
    std::string name; // e.g. "fashion-mnist/train", "synthetic/test"
    int64_t count = 0;
    int64_t channels = 1, height = 28, width = 28;
    int64_t classes = 10;
    // count*C*H*W floats in (N, C, H, W) order; pixel/255, so in [0, 1].
    std::vector<float> images;
    std::vector<int32_t> labels; // count entries

    // The shape of one sample: Shape{C, H, W}.
    Shape sampleShape() const;
    // Floats per sample: C*H*W.
    int64_t sampleSize() const { return channels * height * width; }
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

// Loads a dataset by name:
//   "fashion-mnist"  the folder defaultFashionMnistFolder();
//   "synthetic"      makeSyntheticDataset with 6,000 train / 1,000 test
//                    samples generated from `seed`;
//   anything else    a path to an MNIST-format folder.
// `seed` only affects the synthetic set. Throws FileError when loading fails
// and InvalidArgument for an empty spec.
DatasetSplits loadDataset(const std::string& spec, uint64_t seed);

// `count` samples of `data` (all of them when it has no more), drawn without
// repeats by a permutation seeded with `seed` and kept in their order in
// `data`; named "<data.name> subset". The same seed gives the same samples.
Dataset sampleSubset(const Dataset& data, int64_t count, uint64_t seed);

// Shifts and scales the images of both splits, channel by channel, by the
// train split's mean and standard deviation, so the network sees inputs of
// zero mean and unit variance (the test split uses the train statistics).
void standardizeImages(DatasetSplits& splits);

} // namespace lpm
