// standardizeImages: zero mean and unit variance from the train split's statistics.
#include <gtest/gtest.h>

#include <cmath>

#include "data/dataset.h"
#include "data/synthetic_dataset.h"

namespace lpm {
namespace {

TEST(StandardizeImages, TrainHasZeroMeanUnitVarianceAndTestUsesTrainStatistics)
{
    SyntheticOptions options;
    options.trainCount = 300;
    options.testCount = 50;
    DatasetSplits splits = makeSyntheticDataset(options);
    const DatasetSplits original = makeSyntheticDataset(options);
    standardizeImages(splits);
    double sum = 0.0, squares = 0.0;
    for (float v : splits.train.images) {
        sum += v;
        squares += double(v) * v;
    }
    const double n = double(splits.train.images.size());
    EXPECT_NEAR(sum / n, 0.0, 1e-4);
    EXPECT_NEAR(squares / n, 1.0, 1e-3);
    // The test split went through the same affine map: x' = (x − mean)/σ, so
    // the ratio of differences between two pixels is preserved, with train's σ.
    const double scale =
        (splits.train.images[1] - splits.train.images[0]) / double(original.train.images[1] - original.train.images[0]);
    for (size_t i = 1; i < 20; ++i) {
        const double before = double(original.test.images[i]) - original.test.images[0];
        const double after = double(splits.test.images[i]) - splits.test.images[0];
        EXPECT_NEAR(after, before * scale, 1e-4);
    }
    EXPECT_EQ(splits.train.labels, original.train.labels);
}

} // namespace
} // namespace lpm
