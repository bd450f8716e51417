#include "data/text_dataset.h"

#include <algorithm>

#include "data/idx_reader.h"
#include "tensor/error.h"
#include "tensor/random.h"

namespace lpm {

namespace {
Dataset textSplit(const std::string& name, int64_t tokens)
{
    Dataset split;
    split.name = name;
    split.channels = split.height = split.width = 1;
    split.classes = kByteVocabulary;
    split.tokens = tokens;
    return split;
}
} // namespace

DatasetSplits splitText(const std::vector<uint8_t>& bytes, const std::string& name, int64_t tokens, uint64_t seed)
{
    if (tokens < 1)
        throw InvalidArgument("text " + name + ": the context must be at least one token");
    const auto size = int64_t(bytes.size());
    const int64_t window = tokens + 1;
    if (size == 0)
        throw FileError(name + ": the text is empty (expected at least " + std::to_string(2 * window)
                        + " bytes: two windows of context " + std::to_string(tokens) + " + 1)");
    if (size < 2 * window)
        throw FileError(name + ": the text has " + std::to_string(size) + " bytes, too short for context "
                        + std::to_string(tokens) + " (expected at least " + std::to_string(2 * window)
                        + ": one window of context + 1 bytes to train on and one to validate)");
    const int64_t validationBytes = std::max(window, size / 10);
    RandomStream stream(deriveKey(seed, 0x7e47));
    const int64_t start = int64_t(stream.nextBelow(uint64_t(size - validationBytes + 1)));

    DatasetSplits splits;
    splits.train = textSplit(name + "/train", tokens);
    splits.train.text.assign(bytes.begin(), bytes.begin() + start);
    splits.train.text.insert(splits.train.text.end(), bytes.begin() + start + validationBytes, bytes.end());
    // validationBytes ≤ size/2 (as window ≤ size/2), so at least one window is left to train on.
    splits.train.count = int64_t(splits.train.text.size()) - tokens;

    Dataset& validation = splits.test = textSplit(name + "/validation", tokens);
    validation.count = (validationBytes - 1) / tokens;
    validation.images.resize(size_t(validation.count * tokens));
    validation.labels.resize(size_t(validation.count * tokens));
    for (int64_t i = 0; i < validation.count * tokens; ++i) {
        validation.images[size_t(i)] = float(bytes[size_t(start + i)]);
        validation.labels[size_t(i)] = int32_t(bytes[size_t(start + i + 1)]);
    }
    return splits;
}

DatasetSplits loadTextDataset(const std::filesystem::path& file, int64_t tokens, uint64_t seed)
{
    return splitText(readMaybeGzipped(file), file.string(), tokens, seed);
}

} // namespace lpm
