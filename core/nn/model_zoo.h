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
// and, at real sizes, to plan with (ZooEntry::large), the same architecture as
//   gpt2-small   12 blocks, width 768, 12 heads, context 1024, vocabulary 50257
//   gpt2-medium  24 blocks, width 1024, 16 heads (GPT-2's context and vocabulary)
//   gpt2-xl      48 blocks, width 1600, 25 heads
//   decoder-7b   32 blocks, width 4096, 32 heads, context 2048, vocabulary 32000
#pragma once

#include <functional>
#include <optional>
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
    // A real size (hundreds of MB to tens of GB of weights): planned on
    // catalogue GPUs; trainable only where memory allows, so left out of
    // the test suite's loops over the zoo.
    bool large = false;
};

const std::vector<ZooEntry>& modelZoo();
// True for a zoo model at a real size (ZooEntry::large).
bool isLargeModel(const std::string& name);
// The zoo's model `name`, or else the first model source's (addModelSource)
// that knows it. Throws InvalidArgument listing the known names when none does.
Model buildModel(const std::string& name);

// Models beyond the zoo, by name (ONNX files: graph/onnx_model_builder.h):
// returns nullopt for a name it does not know, throws for one it knows but
// cannot build. Sources are added once at start-up, before any thread
// builds a model; the layers above nn/ add them, so nn/ needs none of them.
using ModelSource = std::function<std::optional<Model>(const std::string& name)>;
void addModelSource(ModelSource source);

} // namespace lpm
