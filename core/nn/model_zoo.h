// The built-in models. Image classifiers for 1×28×28 inputs and 10 classes (MNIST format):
//   mlp          784-512-256-10 with ReLU
//   lenet5       LeNet-5 with ReLU and max pooling
//   cnn          conv3x3 1→32, pool, conv3x3 32→64, pool, 3136→128→10
//   vgg-mini     six 3x3 conv+BN+ReLU layers in three pooled stages, 1152→256→10
//   resnet-mini  stem + six residual blocks (16, 16, 32, 32, 64, 64 channels;
//                resolution halves where channels double, so every block
//                carries about the same FLOPs) + global average pool + 64→10
//   resnet-flat  stem + eight equal residual blocks at 14×14
// Language models (token ids (T) in, next-token logits (T, vocabulary) out):
//   gpt-mini     byte vocabulary 256, context 64, width 128, 4 heads, 4 pre-LN
//                blocks, untied head; units: the embeddings, each block, the head
#pragma once

#include <string>
#include <vector>

#include "nn/model.h"

namespace lpm {

// The size of a GPT-style decoder.
struct GptShape {
    int64_t vocabulary = 0, context = 0, width = 0, heads = 0;
    int blocks = 0;
};
extern const GptShape kGptMini;

struct ZooEntry {
    std::string name;
    std::string summary;
};

const std::vector<ZooEntry>& modelZoo();
// Throws InvalidArgument listing the known names when `name` is not one of them.
Model buildModel(const std::string& name);

} // namespace lpm
