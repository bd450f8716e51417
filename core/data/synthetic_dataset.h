// A generated image classification set for tests, demos and machines
// without a real dataset. It is learnable but not trivial:
//
//   - each class has a fixed smooth random prototype image per channel
//     (random values on a coarse grid every 4 pixels, bilinearly
//     interpolated, about half the area dark like MNIST's background);
//     81% of each prototype's grid is a component shared by all classes,
//     so classes overlap strongly;
//   - each sample is its class's prototype shifted by a random offset of up
//     to ±2 pixels in each direction (pixels shifted in are 0), scaled by a
//     random contrast in [0.625, 1], blended with a random other class's
//     prototype at up to 31%, plus uniform per-pixel noise of up to ±56,
//     clamped to [0, 255] and divided by 255.
//
// Difficulty (seeds 1-3, 7; 6,000/1,000 samples): nearest class mean gets
// 43-57% of the test set, softmax regression after one epoch of plain SGD
// (rate 0.01) about 80%, after three about 90%.
//
// Everything is computed in integer arithmetic from RandomStream draws, so a
// seed gives bit-identical data on every platform. Pixels are multiples of
// 1/255, exactly as for the IDX datasets.
//
// Train and test come from different keys derived from the seed; the
// prototypes are shared. Labels are balanced: sample i of a split starts
// with class i % classes, then the labels are shuffled (Fisher–Yates).
#pragma once

#include <cstdint>

#include "data/dataset.h"

namespace lpm {

struct SyntheticOptions {
    int64_t trainCount = 6000; // samples, >= 1
    int64_t testCount = 1000;  // samples, >= 1
    uint64_t seed = 1;
    int64_t channels = 1, height = 28, width = 28; // each 1-4096 (channels 1-64)
    int64_t classes = 10;                          // 2-1000
};

// Generates the train and test splits. Same options → identical bytes.
// Throws InvalidArgument for out-of-range options.
DatasetSplits makeSyntheticDataset(const SyntheticOptions& options);

} // namespace lpm
