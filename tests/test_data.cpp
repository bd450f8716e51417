// Tests of core/data: IDX readers, MNIST folders and data set loading.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>
#ifdef _WIN32
#include <process.h>
#define getpid _getpid
#else
#include <unistd.h>
#endif

#include "data/batcher.h"
#include "data/dataset.h"
#include "data/idx_reader.h"
#include "data/synthetic_dataset.h"
#include "data/text_dataset.h"
#include "expect_error.h"
#include "tensor/error.h"
#include "tensor/random.h"

namespace fs = std::filesystem;
using testing::HasSubstr;
using Bytes = std::vector<uint8_t>;

namespace lpm {
namespace {

// Big-endian IDX header words followed by the payload.
Bytes idxFile(std::vector<uint32_t> header, const Bytes& payload)
{
    Bytes bytes;
    for (uint32_t word : header) {
        for (int shift = 24; shift >= 0; shift -= 8)
            bytes.push_back(static_cast<uint8_t>(word >> shift));
    }
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    return bytes;
}

// `count` images of rows x cols with pixel k = (seed + k) % 256.
Bytes imagesFile(uint32_t count, uint32_t rows, uint32_t cols, int seed = 0)
{
    Bytes pixels(size_t(count) * rows * cols);
    for (size_t k = 0; k < pixels.size(); ++k)
        pixels[k] = static_cast<uint8_t>((seed + k) % 256);
    return idxFile({kIdxImagesMagic, count, rows, cols}, pixels);
}

Bytes labelsFile(uint32_t count)
{
    Bytes labels(count);
    for (uint32_t k = 0; k < count; ++k)
        labels[k] = static_cast<uint8_t>((k * 7) % 10);
    return idxFile({kIdxLabelsMagic, count}, labels);
}

void writeBytes(const fs::path& file, const Bytes& bytes, bool gzip)
{
    if (gzip) {
        gzFile handle = gzopen(file.string().c_str(), "wb");
        ASSERT_NE(handle, nullptr);
        if (!bytes.empty()) {
            ASSERT_EQ(gzwrite(handle, bytes.data(), unsigned(bytes.size())), int(bytes.size()));
        }
        ASSERT_EQ(gzclose(handle), Z_OK);
    } else {
        std::ofstream(file, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    }
}

void setVariable(const char* name, const char* value)
{
#ifdef _WIN32
    _putenv_s(name, value ? value : "");
#else
    value ? setenv(name, value, 1) : unsetenv(name);
#endif
}

class DataFiles : public testing::Test {
protected:
    void SetUp() override
    {
        dir_ = fs::temp_directory_path()
               / ("lpm_test_data_" + std::to_string(getpid()) + "_"
                  + testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path write(const std::string& name, const Bytes& bytes, bool gzip = false)
    {
        writeBytes(dir_ / name, bytes, gzip);
        return dir_ / name;
    }
    // Writes a complete MNIST folder: 12 train and 5 test images of 3x4.
    void writeMnist(bool gzip)
    {
        const std::string gz = gzip ? ".gz" : "";
        write(std::string(kMnistTrainImages) + gz, imagesFile(12, 3, 4), gzip);
        write(std::string(kMnistTrainLabels) + gz, labelsFile(12), gzip);
        write(std::string(kMnistTestImages) + gz, imagesFile(5, 3, 4, 100), gzip);
        write(std::string(kMnistTestLabels) + gz, labelsFile(5), gzip);
    }

    fs::path dir_;
};

TEST_F(DataFiles, ImagesAndLabelsRoundTripPlainAndGzip)
{
    for (bool gzip : {false, true}) {
        IdxImages images = readIdxImages(write("images", imagesFile(3, 2, 5, 250), gzip));
        EXPECT_EQ(images.count, 3);
        EXPECT_EQ(images.rows, 2);
        EXPECT_EQ(images.cols, 5);
        ASSERT_EQ(images.pixels.size(), 30u);
        EXPECT_EQ(images.pixels[0], 250);
        EXPECT_EQ(images.pixels[29], (250 + 29) % 256);
        EXPECT_EQ(readIdxLabels(write("labels", labelsFile(4), gzip)), (Bytes{0, 7, 4, 1}));
    }
}

TEST_F(DataFiles, UnreadableFilesNameTheProblem)
{
    const std::string missing = (dir_ / "nope.gz").string();
    expectError([&] { readIdxImages(missing); }, {missing + ": cannot open file (No such file or directory)"});
    expectError([&] { readIdxLabels(dir_); }, {dir_.string() + ": cannot open file"});
}

TEST_F(DataFiles, WrongMagicAndShortHeader)
{
    fs::path labels = write("l.gz", labelsFile(3), true);
    expectError([&] { readIdxImages(labels); }, {labels.string()
                                                 + ": wrong magic number 0x00000801, expected 0x00000803 "
                                                   "(IDX images)"});
    fs::path images = write("i", imagesFile(1, 1, 1));
    expectError([&] { readIdxLabels(images); },
                {images.string() + ": wrong magic number 0x00000803, expected 0x00000801"});
    fs::path shortFile = write("short", Bytes{0, 0, 8, 3, 0});
    expectError([&] { readIdxImages(shortFile); },
                {shortFile.string() + ": header too short: expected 16 bytes, found 5"});
    fs::path empty = write("empty.gz", Bytes{}, true);
    expectError([&] { readIdxLabels(empty); }, {empty.string() + ": header too short: expected 8 bytes, found 0"});
}

TEST_F(DataFiles, TruncatedAndTrailingData)
{
    for (bool gzip : {false, true}) {
        Bytes cut = imagesFile(2, 3, 4);
        cut.resize(16 + 10);
        fs::path file = write("cut", cut, gzip);
        expectError([&] { readIdxImages(file); },
                    {file.string() + ": truncated: expected 24 bytes of pixel data, found 10"});
        Bytes longer = imagesFile(2, 3, 4);
        longer.push_back(7);
        file = write("long", longer, gzip);
        expectError([&] { readIdxImages(file); }, {file.string() + ": unexpected data after 24 bytes of pixel data"});
        Bytes labels = labelsFile(6);
        file = write("labels", Bytes(labels.begin(), labels.end() - 2), gzip);
        expectError([&] { readIdxLabels(file); },
                    {file.string() + ": truncated: expected 6 bytes of label data, found 4"});
        labels.push_back(1);
        file = write("labels", labels, gzip);
        expectError([&] { readIdxLabels(file); }, {file.string() + ": unexpected data after"});
    }
}

TEST_F(DataFiles, DamagedGzipStreamsAreErrors)
{
    fs::path whole = write("whole.gz", imagesFile(20, 28, 28), true);
    std::ifstream in(whole, std::ios::binary);
    Bytes compressed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fs::path cut = write("cut.gz", Bytes(compressed.begin(), compressed.begin() + 200));
    expectError([&] { readIdxImages(cut); },
                {cut.string() + ": truncated: expected 15680 bytes of pixel data, found ", "(unexpected end of file)"});
    compressed[10] ^= 0xff; // first deflate block header
    fs::path corrupt = write("corrupt.gz", compressed);
    expectError([&] { readIdxImages(corrupt); }, {corrupt.string() + ": cannot read file ("});
}

TEST_F(DataFiles, AbsurdDimensionsAndBadLabels)
{
    struct Case {
        uint32_t count, rows, cols;
        std::string complaint;
    };
    for (const Case& c :
         {Case{0, 28, 28, "image count 0 is invalid"}, Case{100'000'001, 28, 28, "image count 100000001 is invalid"},
          Case{5, 0, 28, "image size 0x28 is invalid"}, Case{5, 28, 4097, "image size 28x4097 is invalid"}}) {
        fs::path file = write("bad", idxFile({kIdxImagesMagic, c.count, c.rows, c.cols}, {}));
        expectError([&] { readIdxImages(file); }, {file.string() + ": " + c.complaint});
    }
    fs::path file = write("zero", idxFile({kIdxLabelsMagic, 0}, {}));
    expectError([&] { readIdxLabels(file); }, {file.string() + ": label count 0 is invalid"});
    file = write("l.gz", idxFile({kIdxLabelsMagic, 7}, {1, 2, 3, 4, 5, 12, 0}), true);
    expectError([&] { readIdxLabels(file); }, {file.string() + ": label 12 at index 5 is outside 0-9"});
}

TEST_F(DataFiles, LoadsMnistFolderPreferringPlainFiles)
{
    writeMnist(true);
    // A valid plain test-labels file next to a broken .gz one: the plain one wins.
    write(std::string(kMnistTestLabels), labelsFile(5));
    write(std::string(kMnistTestLabels) + ".gz", Bytes{1, 2, 3}, true);
    DatasetSplits splits = loadMnistFolder(dir_);
    EXPECT_EQ(splits.train.count, 12);
    EXPECT_EQ(splits.test.count, 5);
    EXPECT_EQ(splits.train.sampleShape(), (Shape{1, 3, 4}));
    EXPECT_EQ(splits.test.images.size(), 5u * 12u);
    EXPECT_FLOAT_EQ(splits.test.images[1], 101.0f / 255.0f);
    EXPECT_EQ(splits.train.labels[3], 1);
    EXPECT_EQ(splits.train.name, dir_.filename().string() + "/train");
    EXPECT_EQ(loadDataset(dir_.string(), 0).test.labels, splits.test.labels);
}

TEST_F(DataFiles, FolderProblemsNameFolderAndFiles)
{
    expectError([&] { loadMnistFolder(dir_ / "absent"); }, {(dir_ / "absent").string() + ": folder not found"});
    writeMnist(false);
    fs::remove(dir_ / kMnistTestLabels);
    expectError([&] { loadMnistFolder(dir_); },
                {dir_.string(), "missing t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte.gz"});
    write(std::string(kMnistTestLabels), labelsFile(4));
    expectError([&] { loadMnistFolder(dir_); }, {std::string(kMnistTestImages) + " has 5 images but ",
                                                 std::string(kMnistTestLabels) + " has 4 labels"});
    write(std::string(kMnistTestLabels), labelsFile(5));
    write(std::string(kMnistTestImages), imagesFile(5, 4, 3));
    expectError([&] { loadMnistFolder(dir_); }, {"has 3x4 images but", "has 4x3 images"});
}

TEST_F(DataFiles, FashionMnistFolderFromEnvironment)
{
    const char* saved = std::getenv("LPM_FASHION_MNIST");
    std::string previous = saved ? saved : "";
    setVariable("LPM_FASHION_MNIST", nullptr);
    EXPECT_EQ(defaultFashionMnistFolder(), fs::path("/usr/share/datasets/fashion-mnist"));
    setVariable("LPM_FASHION_MNIST", (dir_ / "none").string().c_str());
    EXPECT_EQ(defaultFashionMnistFolder(), dir_ / "none");
    expectError([] { loadDataset("fashion-mnist", 1); }, {"none", "dataset-fashion-mnist", "LPM_FASHION_MNIST"});
    writeMnist(true);
    setVariable("LPM_FASHION_MNIST", dir_.string().c_str());
    EXPECT_EQ(loadDataset("fashion-mnist", 1).train.name, "fashion-mnist/train");
    setVariable("LPM_FASHION_MNIST", saved ? previous.c_str() : nullptr);
    expectError<InvalidArgument>([] { loadDataset("", 1); }, {"empty dataset name"});
}

TEST_F(DataFiles, TheDefaultTextCorpusMissingIsNamedWithWhatToDo)
{
    const char* saved = std::getenv("LPM_TEXT_CORPUS");
    const std::string previous = saved ? saved : "";
    setVariable("LPM_TEXT_CORPUS", nullptr);
    EXPECT_EQ(defaultTextCorpus(), fs::path(kDefaultCorpus));
    const fs::path absent = dir_ / "jargon.txt.gz";
    setVariable("LPM_TEXT_CORPUS", absent.string().c_str());
    expectError([] { loadDataset("text", 1, 16); },
                {absent.string(), "not there", "jargon-text", "--dataset text:PATH", "LPM_TEXT_CORPUS"});
    write("jargon.txt.gz", Bytes(4096, 'a'), true);
    const DatasetSplits text = loadDataset("text", 1, 16);
    EXPECT_GT(text.train.count, 0);
    EXPECT_GT(text.test.count, 0);
    setVariable("LPM_TEXT_CORPUS", saved ? previous.c_str() : nullptr);
}

TEST(Datasets, RealFashionMnist)
{
    const fs::path folder = "/usr/share/datasets/fashion-mnist";
    if (!fs::is_directory(folder))
        GTEST_SKIP() << folder << " missing (install the Debian package dataset-fashion-mnist)";
    DatasetSplits splits = loadMnistFolder(folder);
    EXPECT_EQ(splits.train.count, 60000);
    EXPECT_EQ(splits.test.count, 10000);
    for (const Dataset* data : {&splits.train, &splits.test}) {
        EXPECT_EQ(data->sampleShape(), (Shape{1, 28, 28}));
        EXPECT_EQ(data->images.size(), size_t(data->count) * 784);
        EXPECT_TRUE(std::all_of(data->labels.begin(), data->labels.end(),
                                [](int32_t label) { return label >= 0 && label < 10; }));
        auto [low, high] = std::minmax_element(data->images.begin(), data->images.end());
        EXPECT_EQ(*low, 0.0f);
        EXPECT_EQ(*high, 1.0f);
    }
}

// Text: bytes in, windows of T ids with the next byte as each one's label.
Bytes someText(size_t size)
{
    Bytes text(size);
    for (size_t i = 0; i < size; ++i)
        text[i] = uint8_t((i * 37 + i / 7) % 251);
    return text;
}

TEST_F(DataFiles, TextIsSplitIntoTrainingCorpusAndValidationWindows)
{
    const Bytes text = someText(1000);
    for (bool gzip : {false, true}) {
        const fs::path file = write(gzip ? "corpus.txt.gz" : "corpus.txt", text, gzip);
        const DatasetSplits splits = loadDataset("text:" + file.string(), 3, 8);
        // A tenth (100 bytes) validates, in 99 / 8 = 12 non-overlapping windows.
        EXPECT_EQ(splits.test.count, 12);
        EXPECT_EQ(splits.test.sampleShape(), Shape{8});
        EXPECT_EQ(splits.train.text.size(), 900u);
        EXPECT_EQ(splits.train.count, 900 - 8);
        EXPECT_EQ(splits.train.classes, 256);
        // The windows are consecutive bytes of the file, and each label is
        // the byte after its input.
        const Bytes inputs(splits.test.images.begin(), splits.test.images.end());
        const auto where = std::search(text.begin(), text.end(), inputs.begin(), inputs.end());
        ASSERT_NE(where, text.end());
        const auto first = size_t(where - text.begin());
        for (size_t i = 0; i < inputs.size(); ++i)
            EXPECT_EQ(splits.test.labels[i], int32_t(text[first + i + 1]));
    }
}

TEST_F(DataFiles, TheTextSplitFollowsTheSeed)
{
    const fs::path file = write("corpus.txt", someText(5000));
    EXPECT_EQ(loadDataset("text:" + file.string(), 4, 16).test.images,
              loadDataset("text:" + file.string(), 4, 16).test.images);
    EXPECT_NE(loadDataset("text:" + file.string(), 4, 16).test.images,
              loadDataset("text:" + file.string(), 5, 16).test.images);
}

TEST_F(DataFiles, MissingEmptyOrShortTextIsRefused)
{
    expectError([&] { loadDataset("text:" + (dir_ / "absent.txt").string(), 1, 8); }, {"absent.txt", "cannot open"});
    const fs::path empty = write("empty.txt", {});
    expectError([&] { loadDataset("text:" + empty.string(), 1, 8); }, {"empty.txt", "the text is empty"});
    const fs::path shortText = write("short.txt", someText(17));
    expectError([&] { loadDataset("text:" + shortText.string(), 1, 8); },
                {"short.txt", "has 17 bytes, too short for context 8", "at least 18"});
    EXPECT_EQ(loadDataset("text:" + write("just.txt", someText(18)).string(), 1, 8).test.count, 1);
    expectError<InvalidArgument>([&] { loadDataset("text:" + shortText.string(), 1); }, {"for language models"});
    expectError<InvalidArgument>([] { splitText(someText(100), "some text", 0, 1); },
                                 {"text some text", "at least one token"});
}

TEST_F(DataFiles, ACorpusBatchIsRandomWindowsKeyedByTheStep)
{
    const fs::path file = write("corpus.txt", someText(3000));
    const DatasetSplits splits = loadDataset("text:" + file.string(), 6, 10);
    const Batcher batcher(splits.train, 4, 6);
    const Batch a = batcher.batchAt(5), again = batcher.batchAt(5), other = batcher.batchAt(6);
    ASSERT_EQ(a.images.shape(), (Shape{4, 10}));
    ASSERT_EQ(a.labels.size(), 40u);
    EXPECT_TRUE(std::equal(a.images.values().begin(), a.images.values().end(), again.images.values().begin()));
    EXPECT_FALSE(std::equal(a.images.values().begin(), a.images.values().end(), other.images.values().begin()));
    // Within a window, each label is the next window position's id.
    for (int64_t row = 0; row < 4; ++row)
        for (int64_t t = 0; t + 1 < 10; ++t)
            EXPECT_EQ(float(a.labels[size_t(row * 10 + t)]), a.images[row * 10 + t + 1]);
    // An epoch is as many windows as the training text has tokens' worth.
    EXPECT_EQ(batcher.batchesPerEpoch(), (int64_t(splits.train.text.size()) - 10) / (4 * 10));
    EXPECT_EQ(a.labelsOf(1, 2).size(), 20u);
    EXPECT_EQ(a.labelsOf(1, 2)[0], a.labels[10]);
    // A corpus whose window count disagrees with its text is refused.
    Dataset broken = splits.train;
    broken.count += 1;
    expectError<InvalidArgument>([&] { Batcher(broken, 4, 6); }, {"corpus", "is inconsistent", "windows of 10"});
}

} // namespace
} // namespace lpm
