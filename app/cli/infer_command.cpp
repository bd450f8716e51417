#include "cli/infer_command.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/output_files.h"
#include "devices/backend_factory.h"
#include "io/npy_file.h"
#include "nn/model_zoo.h"
#include "nn/parameter_store.h"
#include "tensor/error.h"
#include "train/checkpoint.h"

namespace lpm::cli {

namespace {

struct InferOptions {
    std::string model;
    std::string checkpoint;
    std::string input;
    std::string output;
    int64_t batch = 64;
    int threads = 1;
    uint64_t seed = 1;
};

std::string formatShape(const std::vector<int64_t>& shape)
{
    std::string text = "(";
    for (size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + ")";
}

// The weights: a checkpoint's, or the model's own start (an imported file's
// values; the seed's initialisation for a zoo model).
void loadWeights(const InferOptions& options, Model& model, ParameterStore& store)
{
    store.initialize(options.seed);
    if (options.checkpoint.empty())
        return;
    const Checkpoint checkpoint = readCheckpoint(options.checkpoint);
    if (checkpoint.model != model.name())
        throw InvalidArgument(options.checkpoint + ": is a checkpoint of " + checkpoint.model + ", not of "
                              + model.name());
    restoreWeights(checkpoint, options.checkpoint, store);
}

void runInfer(const InferOptions& options)
{
    requireWritableOutput(options.output, "--output");
    Model model = buildModel(options.model);
    const NpyArray input = readNpy(options.input);
    const Shape sample = model.sampleShape();
    std::vector<int64_t> expected{-1};
    for (int axis = 0; axis < sample.rank(); ++axis)
        expected.push_back(sample[axis]);
    bool fits = input.shape.size() == expected.size() && !input.shape.empty() && input.shape[0] > 0;
    for (size_t axis = 1; fits && axis < expected.size(); ++axis)
        fits = input.shape[axis] == expected[axis];
    if (!fits) {
        expected[0] = 0;
        std::string wanted = formatShape(expected);
        wanted.replace(1, 1, "N");
        throw InvalidArgument(options.input + ": holds an array of shape " + formatShape(input.shape) + "; "
                              + model.name() + " takes " + wanted + " (N samples of " + sample.toString() + ")");
    }
    ParameterStore store(model);
    loadWeights(options, model, store);
    const std::unique_ptr<Backend> backend = makeBackend(BackendRequest{"cpu", options.threads, false});

    const int64_t samples = input.shape[0];
    const int64_t perSample = sample.elementCount();
    NpyArray output;
    for (int64_t first = 0; first < samples; first += options.batch) {
        const int64_t count = std::min(options.batch, samples - first);
        Tensor activation = Tensor::uninitialized(model.inputShape(count));
        std::copy_n(input.values.begin() + first * perSample, count * perSample, activation.data());
        for (int unit = 0; unit < model.unitCount(); ++unit) {
            std::unique_ptr<LayerContext> none;
            activation = model.unit(unit).forward(*backend, std::move(activation), StepInfo{false, 0, first}, none);
        }
        const Shape& shape = activation.shape();
        if (output.shape.empty()) {
            output.shape.push_back(samples);
            for (int axis = 1; axis < shape.rank(); ++axis)
                output.shape.push_back(shape[axis]);
        }
        output.values.insert(output.values.end(), activation.data(), activation.data() + activation.elementCount());
    }
    writeNpy(options.output, output);
    std::printf("%s: %lld samples of %s through %s: outputs %s written to %s\n", options.input.c_str(),
                static_cast<long long>(samples), sample.toString().c_str(), model.name().c_str(),
                formatShape(output.shape).c_str(), options.output.c_str());
}

} // namespace

void addInferCommand(CLI::App& app)
{
    auto options = std::make_shared<InferOptions>();
    CLI::App* command = app.add_subcommand(
        "infer", "Run a model's forward (evaluation mode) over samples in a NumPy .npy file and write its outputs "
                 "(logits) as another, e.g. to compare an imported ONNX model with PyTorch");
    command->add_option("--model", options->model, "A zoo model (see `lpm models`) or an ONNX file (PATH.onnx)")
        ->required();
    command
        ->add_option("--input", options->input,
                     "Samples: a float32 (or float64) .npy array of shape (N, the model's sample shape), e.g. "
                     "(N, 1, 28, 28)")
        ->required()
        ->check(CLI::ExistingFile);
    command->add_option("--output", options->output, "Where to write the outputs: a float32 .npy array (N, ...)")
        ->required();
    command
        ->add_option("--checkpoint", options->checkpoint,
                     "Weights from this checkpoint (`lpm train --save-checkpoint`) instead of the model's own "
                     "(an ONNX file's values; the seed's for a zoo model)")
        ->check(CLI::ExistingFile);
    command->add_option("--batch", options->batch, "Samples per forward")
        ->capture_default_str()
        ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
    command->add_option("--threads", options->threads, "CPU threads")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    command->add_option("--seed", options->seed, "Seed of a zoo model's initial weights (without --checkpoint)")
        ->capture_default_str();
    command->callback([options] { runInfer(*options); });
}

} // namespace lpm::cli
