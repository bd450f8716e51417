#include "cli/generate_command.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "devices/backend_factory.h"
#include "nn/model_zoo.h"
#include "nn/parameter_store.h"
#include "tensor/error.h"
#include "train/checkpoint.h"
#include "train/text_generation.h"

namespace lpm::cli {

namespace {

struct GenerateOptions {
    std::string checkpoint;
    std::string prompt;
    GenerationOptions generation;
    int threads = 1;
};

void runGenerate(const GenerateOptions& options)
{
    const Checkpoint checkpoint = readCheckpoint(options.checkpoint);
    Model model = [&] {
        try {
            return buildModel(checkpoint.model);
        } catch (const InvalidArgument& error) {
            throw FileError(options.checkpoint + ": " + error.what());
        }
    }();
    try {
        requireByteLanguageModel(model);
    } catch (const InvalidArgument& error) {
        throw InvalidArgument(options.checkpoint + ": " + error.what());
    }
    ParameterStore store(model);
    restoreWeights(checkpoint, options.checkpoint, store);
    const std::unique_ptr<Backend> backend = makeBackend(BackendRequest{"cpu", options.threads, false});
    std::fwrite(options.prompt.data(), 1, options.prompt.size(), stdout);
    std::fflush(stdout);
    continueText(*backend, model, options.prompt, options.generation, [](char byte) {
        std::fputc(static_cast<unsigned char>(byte), stdout);
        std::fflush(stdout);
    });
    std::fputc('\n', stdout);
}

} // namespace

void addGenerateCommand(CLI::App& app)
{
    auto options = std::make_shared<GenerateOptions>();
    CLI::App* command = app.add_subcommand(
        "generate", "Continue a prompt with a language model's checkpoint (from `lpm train --model gpt-mini "
                    "--save-checkpoint F`), byte by byte, printed as it is drawn");
    command->add_option("--checkpoint", options->checkpoint, "Checkpoint of a byte-level language model")
        ->required()
        ->check(CLI::ExistingFile);
    command->add_option("--prompt", options->prompt,
                        "Text to continue (printed first); empty: the model starts after a newline");
    command->add_option("--tokens", options->generation.bytes, "Bytes to generate")
        ->capture_default_str()
        ->check(CLI::Range(int64_t(0), int64_t(1) << 20));
    command
        ->add_option("--temperature", options->generation.temperature,
                     "Sampling temperature: below 1 likelier bytes, above 1 more varied; 0 always takes the "
                     "likeliest byte")
        ->capture_default_str()
        ->check(CLI::Range(0.0f, 100.0f));
    command->add_option("--seed", options->generation.seed, "Seed of the draws; same seed, same text")
        ->capture_default_str();
    command->add_option("--threads", options->threads, "CPU threads")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    command->callback([options] { runGenerate(*options); });
}

} // namespace lpm::cli
