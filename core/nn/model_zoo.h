// The built-in models, all for 1×28×28 inputs and 10 classes (MNIST format):
//   mlp          784-512-256-10 with ReLU
//   lenet5       LeNet-5 with ReLU and max pooling
//   cnn          conv3x3 1→32, pool, conv3x3 32→64, pool, 3136→128→10
//   vgg-mini     six 3x3 conv+BN+ReLU layers in three pooled stages, 1152→256→10
//   resnet-mini  stem + six residual blocks (16, 16, 32, 32, 64, 64 channels;
//                resolution halves where channels double, so every block
//                carries about the same FLOPs) + global average pool + 64→10
#pragma once

#include <string>
#include <vector>

#include "nn/model.h"

namespace lpm {

struct ZooEntry {
    std::string name;
    std::string summary;
};

const std::vector<ZooEntry>& modelZoo();
// Throws InvalidArgument listing the known names when `name` is not one of them.
Model buildModel(const std::string& name);

} // namespace lpm
