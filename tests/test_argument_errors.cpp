// The messages of the core's argument checks: each names the value or shape
// it got and what it expected.
#include <gtest/gtest.h>

#include "expect_error.h"
#include "nn/avg_pool2d.h"
#include "nn/batch_norm2d.h"
#include "nn/conv2d.h"
#include "nn/dropout.h"
#include "nn/linear.h"
#include "nn/max_pool2d.h"
#include "nn/model_zoo.h"
#include "nn/parameter_store.h"
#include "nn/relu.h"
#include "tensor/tensor.h"
#include "train/training_step.h"

namespace lpm {
namespace {

TEST(ArgumentErrors, ShapesAndTensors)
{
    expectError<InvalidArgument>([] { Shape{1, 2, 3, 4, 5}; }, {"rank 5 exceeds 4"});
    expectError<InvalidArgument>([] { Shape{2, -3}; }, {"negative extent -3"});
    expectError<InvalidArgument>([] { Tensor(Shape{2, 3}).reshape(Shape{4, 2}); }, {"cannot view (2, 3) as (4, 2)"});
}

TEST(ArgumentErrors, LayerOptionsAndInputs)
{
    expectError<InvalidArgument>([] { Linear({0, 3, true}); }, {"feature counts must be positive"});
    expectError<InvalidArgument>(
        [] {
            Conv2d({1, 2, 3, 0, 0, true});
        },
        {"kernel and stride must be positive, padding >= 0"});
    expectError<InvalidArgument>([] { MaxPool2d({0, 2}); }, {"kernel and stride must be positive"});
    expectError<InvalidArgument>([] { AvgPool2d({2, 0, false}); }, {"kernel and stride must be positive"});
    expectError<InvalidArgument>([] { BatchNorm2d({0}); }, {"channel count must be positive"});
    expectError<InvalidArgument>([] { Dropout({1.0f}); }, {"probability must be in [0, 1)"});
    expectError<InvalidArgument>(
        [] {
            Conv2d({1, 2, 5, 1, 0, true}).outputShape(Shape{1, 1, 3, 3});
        },
        {"(1, 1, 3, 3)", "is smaller than the kernel"});
    expectError<InvalidArgument>(
        [] {
            MaxPool2d({2, 2}).outputShape(Shape{1, 1, 1, 4});
        },
        {"is smaller than the 2x2 window"});
    expectError<InvalidArgument>(
        [] {
            AvgPool2d({0, 0, true}).outputShape(Shape{1, 1, 4, 5});
        },
        {"expected a square plane", "(1, 1, 4, 5)"});
    expectError<InvalidArgument>(
        [] {
            BatchNorm2d({3}).outputShape(Shape{2, 4, 5, 5});
        },
        {"expected input (N, 3, H, W)", "(2, 4, 5, 5)"});
}

TEST(ArgumentErrors, ModelsAndStores)
{
    expectError<InvalidArgument>([] { Model("empty", Shape{1, 28, 28}, 10, {}); }, {"empty", "has no units"});
    std::vector<std::unique_ptr<Layer>> units;
    units.push_back(std::make_unique<Relu>());
    expectError<InvalidArgument>([&] { Model("flat", Shape{10}, 3, std::move(units)); },
                                 {"last unit gives (1, 10)", "expected (1, 3)"});
    std::vector<std::unique_ptr<Layer>> deep;
    deep.push_back(std::make_unique<Relu>());
    expectError<InvalidArgument>(
        [&] {
            Model("deep", Shape{1, 2, 3, 4}, 10, std::move(deep));
        },
        {"sample shape must have rank 1 to 3"});
    Model model = buildModel("mlp");
    expectError<InvalidArgument>([&] { ParameterStore(model, 2, 9); }, {"[2, 9]", "is outside model mlp", "6 units"});
    expectError<InvalidArgument>([] { microBatchSizes(8, 9); },
                                 {"micro-batches must be between 1 and the batch size 8, got 9"});
}

} // namespace
} // namespace lpm
