#include "train/text_generation.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "data/text_dataset.h"
#include "tensor/error.h"
#include "tensor/random.h"

namespace lpm {

namespace {
// The next byte from one position's logits (kByteVocabulary floats).
int drawByte(const float* logits, float temperature, RandomStream& stream)
{
    const float* best = std::max_element(logits, logits + kByteVocabulary);
    if (temperature <= 0.0f)
        return int(best - logits);
    std::vector<double> weights(static_cast<size_t>(kByteVocabulary));
    double total = 0.0;
    for (int64_t j = 0; j < kByteVocabulary; ++j)
        total += weights[size_t(j)] = std::exp(double(logits[j] - *best) / double(temperature));
    double target = double(stream.nextUniform()) * total;
    for (int64_t j = 0; j < kByteVocabulary; ++j) {
        target -= weights[size_t(j)];
        if (target < 0.0)
            return int(j);
    }
    return int(best - logits); // (rounding left target ≥ 0: the likeliest byte)
}
} // namespace

void requireByteLanguageModel(const Model& model)
{
    if (model.tokens() == 0 || model.classes() != kByteVocabulary)
        throw InvalidArgument("model " + model.name() + " is not a byte-level language model (token ids in, "
                              + std::to_string(kByteVocabulary) + " classes out): it cannot generate text");
}

std::string continueText(Backend& backend, Model& model, const std::string& prompt, const GenerationOptions& options,
                         const std::function<void(char)>& onByte)
{
    requireByteLanguageModel(model);
    if (!backend.usesHostMemory())
        throw InvalidArgument("text generation runs on a backend in host memory, not " + backend.name());
    if (options.bytes < 0)
        throw InvalidArgument("cannot generate " + std::to_string(options.bytes) + " bytes");
    if (!(options.temperature >= 0.0f) || !std::isfinite(options.temperature))
        throw InvalidArgument("temperature must be a finite number ≥ 0, got " + std::to_string(options.temperature));
    const int64_t context = model.tokens();
    std::string text = prompt.empty() ? std::string("\n") : prompt;
    std::string continuation;
    std::unique_ptr<LayerContext> layerContext;
    for (int64_t i = 0; i < options.bytes; ++i) {
        const int64_t filled = std::min<int64_t>(context, int64_t(text.size()));
        Tensor activation(model.inputShape(1)); // zeros: the padding after the filled positions
        for (int64_t t = 0; t < filled; ++t)
            activation.data()[t] = float(static_cast<unsigned char>(text[text.size() - size_t(filled - t)]));
        for (int unit = 0; unit < model.unitCount(); ++unit) {
            activation = model.unit(unit).forward(backend, std::move(activation), StepInfo{false, 0, 0}, layerContext);
            layerContext.reset();
        }
        RandomStream stream(deriveKey(options.seed, uint64_t(i)));
        const char next = static_cast<char>(
            drawByte(activation.data() + (filled - 1) * kByteVocabulary, options.temperature, stream));
        text.push_back(next);
        continuation.push_back(next);
        if (onByte)
            onByte(next);
    }
    return continuation;
}

} // namespace lpm
