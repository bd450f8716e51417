// Tests of core/data: the synthetic set and the seeded batcher.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "data/batcher.h"
#include "data/dataset.h"
#include "data/synthetic_dataset.h"
#include "expect_error.h"
#include "tensor/error.h"
#include "tensor/random.h"

using testing::HasSubstr;

namespace lpm {
namespace {

TEST(Synthetic, DeterministicBalancedAndLearnable)
{
    SyntheticOptions options;
    options.seed = 42;
    DatasetSplits a = makeSyntheticDataset(options);
    DatasetSplits b = makeSyntheticDataset(options);
    EXPECT_EQ(a.train.count, 6000);
    EXPECT_EQ(a.test.count, 1000);
    EXPECT_EQ(a.train.images, b.train.images);
    EXPECT_EQ(a.test.labels, b.test.labels);
    options.seed = 43;
    DatasetSplits other = makeSyntheticDataset(options);
    EXPECT_NE(a.train.images, other.train.images);
    EXPECT_NE(a.train.labels, other.train.labels);
    EXPECT_EQ(loadDataset("synthetic", 42).test.images, a.test.images);

    const Dataset& train = a.train;
    std::vector<int64_t> perClass(10, 0);
    for (int32_t label : train.labels)
        ++perClass.at(label);
    EXPECT_EQ(perClass, std::vector<int64_t>(10, 600));
    for (float value : train.images)
        ASSERT_EQ(value, float(int(value * 255.0f + 0.5f)) / 255.0f); // k/255, k in 0..255
    EXPECT_NE(std::vector<float>(train.images.begin(), train.images.begin() + 784),
              std::vector<float>(a.test.images.begin(), a.test.images.begin() + 784));

    // Nearest class mean must beat chance (10%) clearly; a trained model does far better.
    const int64_t size = train.sampleSize();
    std::vector<double> means(size_t(10 * size), 0.0);
    for (int64_t i = 0; i < train.count; ++i) {
        for (int64_t k = 0; k < size; ++k)
            means[train.labels[i] * size + k] += train.images[i * size + k] / 600.0;
    }
    int correct = 0;
    for (int64_t i = 0; i < a.test.count; ++i) {
        std::vector<double> distance(10, 0.0);
        for (int c = 0; c < 10; ++c) {
            for (int64_t k = 0; k < size; ++k) {
                double d = a.test.images[i * size + k] - means[c * size + k];
                distance[c] += d * d;
            }
        }
        correct += std::min_element(distance.begin(), distance.end()) - distance.begin() == a.test.labels[i];
    }
    EXPECT_GT(correct, 300);
}

TEST(Synthetic, OptionsShapeAndValidation)
{
    SyntheticOptions options{
        .trainCount = 30, .testCount = 7, .seed = 5, .channels = 3, .height = 9, .width = 13, .classes = 4};
    DatasetSplits splits = makeSyntheticDataset(options);
    EXPECT_EQ(splits.test.sampleShape(), (Shape{3, 9, 13}));
    EXPECT_EQ(splits.train.images.size(), 30u * 3 * 9 * 13);
    EXPECT_EQ(splits.train.classes, 4);
    options.classes = 1;
    expectError<InvalidArgument>([&] { makeSyntheticDataset(options); }, {"classes 1"});
    options = SyntheticOptions{.trainCount = 0};
    expectError<InvalidArgument>([&] { makeSyntheticDataset(options); }, {"trainCount 0"});
}

// A dataset of `count` 1x1x2 images whose pixels and label encode the index.
Dataset indexedDataset(int64_t count)
{
    Dataset data;
    data.name = "indexed";
    data.count = count;
    data.height = 1;
    data.width = 2;
    for (int64_t i = 0; i < count; ++i) {
        data.images.insert(data.images.end(), {float(i), float(-i)});
        data.labels.push_back(int32_t(i % 10));
    }
    return data;
}

// The sample indices of a batch of an indexedDataset, checking its consistency.
std::vector<int64_t> indices(const Batch& batch)
{
    std::vector<int64_t> result;
    for (int64_t row = 0; row < batch.images.shape()[0]; ++row) {
        int64_t index = int64_t(batch.images[2 * row]);
        EXPECT_EQ(batch.images[2 * row + 1], -float(index));
        EXPECT_EQ(batch.labels[row], index % 10);
        result.push_back(index);
    }
    return result;
}

TEST(Batcher, EpochsArePermutationsFromTheSeed)
{
    Dataset data = indexedDataset(53);
    Batcher batcher(data, 5, 9);
    EXPECT_EQ(batcher.batchesPerEpoch(), 10); // 3 samples dropped per epoch
    std::vector<std::vector<int64_t>> epochs(3);
    for (int64_t step = 0; step < 30; ++step) {
        Batch batch = batcher.batchAt(step);
        EXPECT_EQ(batch.images.shape(), (Shape{5, 1, 1, 2}));
        EXPECT_EQ(batch.epoch, step / 10);
        EXPECT_EQ(batch.indexInEpoch, step % 10);
        std::vector<int64_t> got = indices(batch);
        epochs[step / 10].insert(epochs[step / 10].end(), got.begin(), got.end());
    }
    for (int64_t epoch = 0; epoch < 3; ++epoch) {
        // The documented order: Fisher-Yates over RandomStream(deriveKey(seed, epoch)).
        std::vector<int64_t> expected(53);
        for (int64_t i = 0; i < 53; ++i)
            expected[i] = i;
        RandomStream stream(deriveKey(9, uint64_t(epoch)));
        for (int64_t i = 52; i > 0; --i)
            std::swap(expected[i], expected[stream.nextBelow(uint64_t(i + 1))]);
        EXPECT_EQ(batcher.permutation(epoch), expected);
        EXPECT_EQ(epochs[epoch], std::vector<int64_t>(expected.begin(), expected.begin() + 50));
        std::sort(expected.begin(), expected.end());
        EXPECT_EQ(std::unique(expected.begin(), expected.end()), expected.end());
        EXPECT_EQ(expected.back(), 52);
    }
    EXPECT_NE(epochs[0], epochs[1]);
    EXPECT_NE(epochs[1], epochs[2]);
    EXPECT_NE(indices(Batcher(data, 5, 10).batchAt(0)), indices(batcher.batchAt(0)));
}

TEST(Batcher, RandomAccessMatchesSequentialRun)
{
    Dataset data = indexedDataset(40);
    Batcher sequential(data, 8, 3);
    std::vector<std::vector<int64_t>> run;
    for (int64_t step = 0; step < 23; ++step)
        run.push_back(indices(sequential.batchAt(step)));
    for (int64_t step : {22, 0, 17, 5, 9, 14, 21, 3}) {
        Batcher resumed(data, 8, 3); // fresh, as after loading a checkpoint
        EXPECT_EQ(indices(resumed.batchAt(step)), run[step]) << "step " << step;
        EXPECT_EQ(indices(sequential.batchAt(step)), run[step]) << "step " << step;
    }
    Batch slice = sliceBatch(data, 37, 3);
    EXPECT_EQ(indices(slice), (std::vector<int64_t>{37, 38, 39}));
    EXPECT_EQ(slice.images.shape(), (Shape{3, 1, 1, 2}));
}

TEST(Batcher, RejectsBadArguments)
{
    Dataset data = indexedDataset(40);
    expectError<InvalidArgument>([&] { Batcher(data, 41, 1); }, {"batch size 41", "40 samples", "indexed"});
    expectError<InvalidArgument>([&] { Batcher(data, 0, 1); }, {"batch size 0"});
    EXPECT_EQ(Batcher(data, 40, 1).batchesPerEpoch(), 1);
    expectError<InvalidArgument>([&] { Batcher(data, 4, 1).batchAt(-1); }, {"negative step"});
    expectError<InvalidArgument>([&] { sliceBatch(data, 38, 3); }, {"[38, 41)", "40 samples"});
    expectError<InvalidArgument>([&] { sliceBatch(data, 0, 0); }, {"[0, 0)"});
    data.labels.pop_back();
    expectError<InvalidArgument>([&] { Batcher(data, 4, 1); }, {"inconsistent"});
}

} // namespace
} // namespace lpm
