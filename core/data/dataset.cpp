#include "data/dataset.h"

#include <algorithm>
#include <cmath>

#include <cstdlib>
#include <system_error>

#include "data/idx_reader.h"
#include "data/synthetic_dataset.h"
#include "data/text_dataset.h"
#include "tensor/error.h"
#include "tensor/random.h"

namespace lpm {

namespace {

constexpr const char* kDebianFashionMnistFolder = "/usr/share/datasets/fashion-mnist";

bool isRegularFile(const std::filesystem::path& file)
{
    std::error_code error;
    return std::filesystem::is_regular_file(file, error);
}

// The path of `base` in `folder`: the plain file if present, else `base.gz`.
std::filesystem::path findMnistFile(const std::filesystem::path& folder, const std::string& base)
{
    std::filesystem::path plain = folder / base;
    std::filesystem::path compressed = folder / (base + ".gz");
    if (isRegularFile(plain))
        return plain;
    if (isRegularFile(compressed))
        return compressed;
    throw FileError(folder.string() + ": missing " + base + " (looked for " + base + " and " + base + ".gz)");
}

// Reads one split (images + labels) and converts it to a Dataset.
Dataset loadSplit(const std::filesystem::path& imagesFile, const std::filesystem::path& labelsFile,
                  const std::string& name)
{
    IdxImages images = readIdxImages(imagesFile);
    std::vector<uint8_t> labels = readIdxLabels(labelsFile);
    if (static_cast<int64_t>(labels.size()) != images.count) {
        throw FileError(imagesFile.string() + " has " + std::to_string(images.count) + " images but "
                        + labelsFile.string() + " has " + std::to_string(labels.size()) + " labels");
    }

    Dataset data;
    data.name = name;
    data.count = images.count;
    data.channels = 1;
    data.height = images.rows;
    data.width = images.cols;
    data.classes = 10; // readIdxLabels guarantees 0-9
    data.images.resize(images.pixels.size());
    for (size_t i = 0; i < images.pixels.size(); ++i)
        data.images[i] = static_cast<float>(images.pixels[i]) / 255.0f;
    data.labels.assign(labels.begin(), labels.end());
    return data;
}

std::string folderName(const std::filesystem::path& folder)
{
    std::filesystem::path name = folder.filename();
    if (name.empty())
        name = folder.parent_path().filename(); // "/a/mnist/" -> "mnist"
    return name.empty() ? std::string("mnist") : name.string();
}

} // namespace

Shape Dataset::sampleShape() const
{
    return tokens > 0 ? Shape{tokens} : Shape{channels, height, width};
}

Shape Dataset::batchShape(int64_t count) const
{
    return tokens > 0 ? Shape{count, tokens} : Shape{count, channels, height, width};
}

DatasetSplits loadMnistFolder(const std::filesystem::path& folder)
{
    std::error_code error;
    if (!std::filesystem::is_directory(folder, error)) {
        throw FileError(folder.string() + ": folder not found (expected it to hold " + kMnistTrainImages + ", "
                        + kMnistTrainLabels + ", " + kMnistTestImages + " and " + kMnistTestLabels
                        + ", each optionally with .gz)");
    }
    // Locate all four files before reading any, so a missing one fails fast.
    std::filesystem::path trainImages = findMnistFile(folder, kMnistTrainImages);
    std::filesystem::path trainLabels = findMnistFile(folder, kMnistTrainLabels);
    std::filesystem::path testImages = findMnistFile(folder, kMnistTestImages);
    std::filesystem::path testLabels = findMnistFile(folder, kMnistTestLabels);

    std::string name = folderName(folder);
    DatasetSplits splits;
    splits.train = loadSplit(trainImages, trainLabels, name + "/train");
    splits.test = loadSplit(testImages, testLabels, name + "/test");
    if (splits.train.height != splits.test.height || splits.train.width != splits.test.width) {
        throw FileError(trainImages.string() + " has " + std::to_string(splits.train.height) + "x"
                        + std::to_string(splits.train.width) + " images but " + testImages.string() + " has "
                        + std::to_string(splits.test.height) + "x" + std::to_string(splits.test.width) + " images");
    }
    return splits;
}

std::filesystem::path defaultFashionMnistFolder()
{
    const char* fromEnvironment = std::getenv("LPM_FASHION_MNIST");
    if (fromEnvironment != nullptr && fromEnvironment[0] != '\0')
        return fromEnvironment;
    return kDebianFashionMnistFolder;
}

std::filesystem::path defaultTextCorpus()
{
    const char* fromEnvironment = std::getenv("LPM_TEXT_CORPUS");
    if (fromEnvironment != nullptr && fromEnvironment[0] != '\0')
        return fromEnvironment;
    return kDefaultCorpus;
}

DatasetSplits loadDataset(const std::string& spec, uint64_t seed, int64_t tokens)
{
    if (spec.empty()) {
        throw InvalidArgument("loadDataset: empty dataset name (use fashion-mnist, synthetic or a folder path)");
    }
    if (isTextDatasetSpec(spec)) {
        if (tokens <= 0)
            throw InvalidArgument("dataset " + spec + ": text is for language models (a model with a context length)");
        if (spec != "text")
            return loadTextDataset(spec.substr(std::string_view(kTextDatasetPrefix).size()), tokens, seed);
        const std::filesystem::path corpus = defaultTextCorpus();
        std::error_code error;
        if (!std::filesystem::exists(corpus, error))
            throw FileError(corpus.string()
                            + ": the default text corpus is not there (install the Debian package jargon-text, "
                              "name a file with --dataset text:PATH, or set LPM_TEXT_CORPUS to one)");
        return loadTextDataset(corpus, tokens, seed);
    }
    if (spec == "synthetic") {
        SyntheticOptions options;
        options.seed = seed;
        return makeSyntheticDataset(options);
    }
    if (spec == "fashion-mnist") {
        std::filesystem::path folder = defaultFashionMnistFolder();
        const std::string hint = "; install the Debian package dataset-fashion-mnist or set LPM_FASHION_MNIST to "
                                 "a folder holding the Fashion-MNIST IDX files";
        std::error_code error;
        if (!std::filesystem::is_directory(folder, error)) {
            throw FileError(folder.string() + ": Fashion-MNIST folder not found" + hint);
        }
        try {
            DatasetSplits splits = loadMnistFolder(folder);
            splits.train.name = "fashion-mnist/train";
            splits.test.name = "fashion-mnist/test";
            return splits;
        } catch (const FileError& problem) {
            throw FileError(problem.what() + hint);
        }
    }
    return loadMnistFolder(spec);
}

Dataset sampleSubset(const Dataset& data, int64_t count, uint64_t seed)
{
    if (count < 0)
        throw InvalidArgument("subset of " + data.name + ": negative sample count " + std::to_string(count));
    count = std::min(count, data.count);
    // The first `count` places of a Fisher–Yates shuffle from the front.
    std::vector<int64_t> order(size_t(data.count));
    for (int64_t i = 0; i < data.count; ++i)
        order[size_t(i)] = i;
    RandomStream stream(deriveKey(seed, 0x5ab5e7));
    for (int64_t i = 0; i < count; ++i) {
        const int64_t j = i + int64_t(stream.nextBelow(uint64_t(data.count - i)));
        std::swap(order[size_t(i)], order[size_t(j)]);
    }
    order.resize(size_t(count));
    std::sort(order.begin(), order.end());
    Dataset subset;
    subset.name = data.name + " subset";
    subset.count = count;
    subset.channels = data.channels;
    subset.height = data.height;
    subset.width = data.width;
    subset.classes = data.classes;
    subset.tokens = data.tokens;
    const int64_t perSample = data.labelsPerSample();
    subset.images.resize(size_t(count * data.sampleSize()));
    subset.labels.resize(size_t(count * perSample));
    for (int64_t k = 0; k < count; ++k) {
        const int64_t sample = order[size_t(k)];
        std::copy_n(data.images.begin() + sample * data.sampleSize(), data.sampleSize(),
                    subset.images.begin() + k * data.sampleSize());
        std::copy_n(data.labels.begin() + sample * perSample, perSample, subset.labels.begin() + k * perSample);
    }
    return subset;
}

void standardizeImages(DatasetSplits& splits)
{
    if (splits.train.tokens > 0)
        return; // token ids stay the whole numbers they are
    const Dataset& train = splits.train;
    const int64_t plane = train.height * train.width;
    for (int64_t c = 0; c < train.channels; ++c) {
        double sum = 0.0, squares = 0.0;
        for (int64_t n = 0; n < train.count; ++n) {
            const float* image = train.images.data() + (n * train.channels + c) * plane;
            for (int64_t i = 0; i < plane; ++i) {
                sum += image[i];
                squares += double(image[i]) * image[i];
            }
        }
        const double count = double(std::max<int64_t>(train.count * plane, 1));
        const double mean = sum / count;
        const double deviation = std::sqrt(std::max(squares / count - mean * mean, 1e-12));
        for (Dataset* split : {&splits.train, &splits.test})
            for (int64_t n = 0; n < split->count; ++n) {
                float* image = split->images.data() + (n * split->channels + c) * plane;
                for (int64_t i = 0; i < plane; ++i)
                    image[i] = static_cast<float>((image[i] - mean) / deviation);
            }
    }
}

} // namespace lpm
