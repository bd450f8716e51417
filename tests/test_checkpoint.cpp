// Tests of core/io: checksummed files and atomic writes, and of
// Trainer::loadCheckpoint on damaged checkpoint files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

#include "data/synthetic_dataset.h"
#include "io/atomic_file.h"
#include "io/checksummed_file.h"
#include "tensor/error.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using testing::HasSubstr;
using Bytes = std::vector<unsigned char>;

namespace lpm {
namespace {

constexpr size_t kHeaderBytes = 32; // magic 8 · version 4 · reserved 4 · size 8 · checksum 8
constexpr size_t kVersionOffset = 8;
const std::string kMagic = "LPMTEST";
constexpr uint32_t kVersion = 3;

class TempFolder {
public:
    TempFolder()
    {
        static int counter = 0;
        path_ = fs::temp_directory_path()
                / ("lpm-test-checkpoint-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempFolder()
    {
        std::error_code error;
        fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, error);
        fs::remove_all(path_, error);
    }
    TempFolder(const TempFolder&) = delete;
    TempFolder& operator=(const TempFolder&) = delete;

    const fs::path& path() const { return path_; }
    fs::path operator/(const std::string& name) const { return path_ / name; }

    // Names of everything in the folder, sorted.
    std::vector<std::string> entries() const
    {
        std::vector<std::string> names;
        for (const fs::directory_entry& entry : fs::directory_iterator(path_))
            names.push_back(entry.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }

private:
    fs::path path_;
};

Bytes readBytes(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    EXPECT_TRUE(in) << file;
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeBytes(const fs::path& file, const Bytes& bytes)
{
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    ASSERT_TRUE(out.good()) << file;
}

void writeText(const fs::path& file, const std::string& text)
{
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
    ASSERT_TRUE(out.good()) << file;
}

Bytes samplePayload(size_t size)
{
    Bytes payload(size);
    for (size_t i = 0; i < size; ++i)
        payload[i] = static_cast<unsigned char>((i * 131 + 7) % 251);
    return payload;
}

// Calls `read` and expects a FileError whose message names `file` and contains `fault`.
template <typename Read>
void expectFileError(Read&& read, const fs::path& file, const std::string& fault)
{
    try {
        read();
        ADD_FAILURE() << "expected FileError containing \"" << fault << "\"";
    } catch (const FileError& error) {
        EXPECT_THAT(error.what(), HasSubstr(file.string()));
        EXPECT_THAT(error.what(), HasSubstr(fault));
    }
}

// --- checksummed files ----------------------------------------------------------

class ChecksummedFile : public testing::Test {
protected:
    void SetUp() override
    {
        file_ = folder_ / "data.bin";
        payload_ = samplePayload(1000);
        writeChecksummedFile(file_, kMagic, kVersion, payload_);
    }
    void expectReadError(const std::string& fault)
    {
        expectFileError([&] { readChecksummedFile(file_, kMagic, kVersion, "widget"); }, file_, fault);
    }

    TempFolder folder_;
    fs::path file_;
    Bytes payload_;
};

TEST_F(ChecksummedFile, RoundTrips)
{
    EXPECT_EQ(fs::file_size(file_), kHeaderBytes + payload_.size());
    EXPECT_EQ(readChecksummedFile(file_, kMagic, kVersion, "widget"), payload_);
    const Bytes bytes = readBytes(file_);
    EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 7), kMagic);
    EXPECT_EQ(bytes[7], 0);                     // magic padded with zeros to 8 bytes
    EXPECT_EQ(bytes[kVersionOffset], kVersion); // little-endian version
}

TEST_F(ChecksummedFile, EmptyPayloadRoundTrips)
{
    writeChecksummedFile(file_, kMagic, kVersion, {});
    EXPECT_EQ(fs::file_size(file_), kHeaderBytes);
    EXPECT_TRUE(readChecksummedFile(file_, kMagic, kVersion, "widget").empty());
}

TEST_F(ChecksummedFile, RewriteReplacesTheContent)
{
    const Bytes other = samplePayload(10);
    writeChecksummedFile(file_, kMagic, kVersion, other);
    EXPECT_EQ(readChecksummedFile(file_, kMagic, kVersion, "widget"), other);
    EXPECT_EQ(folder_.entries(), std::vector<std::string>{"data.bin"});
}

TEST_F(ChecksummedFile, FlippedPayloadByteIsAChecksumMismatch)
{
    for (size_t offset : {kHeaderBytes, kHeaderBytes + 500, kHeaderBytes + 999}) {
        SCOPED_TRACE(offset);
        Bytes bytes = readBytes(file_);
        bytes[offset] ^= 0x01;
        writeBytes(file_, bytes);
        expectReadError("checksum mismatch");
        bytes[offset] ^= 0x01;
        writeBytes(file_, bytes);
        EXPECT_EQ(readChecksummedFile(file_, kMagic, kVersion, "widget"), payload_);
    }
}

TEST_F(ChecksummedFile, FlippedChecksumByteIsAChecksumMismatch)
{
    Bytes bytes = readBytes(file_);
    bytes[24] ^= 0x80;
    writeBytes(file_, bytes);
    expectReadError("checksum mismatch");
}

TEST_F(ChecksummedFile, TruncatedPayloadIsReported)
{
    Bytes bytes = readBytes(file_);
    bytes.resize(bytes.size() - 1);
    writeBytes(file_, bytes);
    expectReadError("truncated");
    bytes.resize(kHeaderBytes); // header only
    writeBytes(file_, bytes);
    expectReadError("truncated");
}

TEST_F(ChecksummedFile, TruncatedHeaderIsRejected)
{
    Bytes bytes = readBytes(file_);
    bytes.resize(20); // magic intact, header cut
    writeBytes(file_, bytes);
    EXPECT_THROW(readChecksummedFile(file_, kMagic, kVersion, "widget"), FileError);
    expectFileError([&] { readChecksummedFile(file_, kMagic, kVersion, "widget"); }, file_, "truncated widget header");
}

TEST_F(ChecksummedFile, PaddedFileIsReported)
{
    Bytes bytes = readBytes(file_);
    bytes.push_back(0);
    writeBytes(file_, bytes);
    expectReadError("padded");
}

TEST_F(ChecksummedFile, RandomTextIsNotThisKindOfFile)
{
    writeText(file_, "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod "
                     "tempor incididunt ut labore et dolore magna aliqua.\n");
    expectReadError("not an LPM widget");
}

TEST_F(ChecksummedFile, ShortAndEmptyFilesAreNotThisKindOfFile)
{
    writeText(file_, "LPM");
    expectReadError("not an LPM widget");
    writeText(file_, "");
    expectReadError("not an LPM widget");
}

TEST_F(ChecksummedFile, OtherMagicIsNotThisKindOfFile)
{
    expectFileError([&] { readChecksummedFile(file_, "LPMOTHER", kVersion, "gadget"); }, file_, "not an LPM gadget");
}

TEST_F(ChecksummedFile, OtherVersionIsReportedWithBothVersions)
{
    Bytes bytes = readBytes(file_);
    bytes[kVersionOffset] = 7;
    writeBytes(file_, bytes);
    expectReadError("format version 7");
    expectReadError("version 3");
    // Reading with another expected version is the same fault.
    writeChecksummedFile(file_, kMagic, kVersion, payload_);
    expectFileError([&] { readChecksummedFile(file_, kMagic, kVersion + 1, "widget"); }, file_, "format version");
}

TEST_F(ChecksummedFile, MissingFileCannotBeOpened)
{
    const fs::path missing = folder_ / "no-such-file.bin";
    expectFileError([&] { readChecksummedFile(missing, kMagic, kVersion, "widget"); }, missing, "cannot open");
}

TEST_F(ChecksummedFile, WriteLeavesNoTemporary)
{
    writeChecksummedFile(folder_ / "second.bin", kMagic, kVersion, payload_);
    EXPECT_EQ(folder_.entries(), (std::vector<std::string>{"data.bin", "second.bin"}));
}

TEST_F(ChecksummedFile, WriteIntoMissingFolderFailsAndLeavesNothing)
{
    const fs::path target = folder_ / "missing" / "data.bin";
    expectFileError([&] { writeChecksummedFile(target, kMagic, kVersion, payload_); }, target, "cannot write");
    EXPECT_FALSE(fs::exists(folder_ / "missing"));
    EXPECT_EQ(folder_.entries(), std::vector<std::string>{"data.bin"});
}

// --- atomic writes --------------------------------------------------------------

TEST(AtomicFile, WritesAndReplacesWithoutTemporaries)
{
    TempFolder folder;
    const fs::path target = folder / "out.txt";
    writeFileAtomically(target, "first");
    EXPECT_EQ(readBytes(target), (Bytes{'f', 'i', 'r', 's', 't'}));
    writeFileAtomically(target, "2");
    EXPECT_EQ(readBytes(target), (Bytes{'2'}));
    writeFileAtomically(target, "");
    EXPECT_EQ(fs::file_size(target), 0u);
    EXPECT_EQ(folder.entries(), std::vector<std::string>{"out.txt"});
}

TEST(AtomicFile, MissingFolderThrowsAndLeavesNothing)
{
    TempFolder folder;
    const fs::path target = folder / "missing" / "deeper" / "out.txt";
    expectFileError([&] { writeFileAtomically(target, "data"); }, target, "cannot write");
    EXPECT_TRUE(folder.entries().empty());
}

TEST(AtomicFile, FailedWriteLeavesTheExistingTargetUnchanged)
{
    // Block the temporary's name with a folder, so the write cannot start.
    TempFolder folder;
    const fs::path target = folder / "out.txt";
    writeFileAtomically(target, "old content");
    const fs::path temporary = target.string() + ".tmp-" + std::to_string(::getpid());
    fs::create_directory(temporary);
    expectFileError([&] { writeFileAtomically(target, "new content"); }, target, "cannot write");
    const std::string expected = "old content";
    EXPECT_EQ(readBytes(target), Bytes(expected.begin(), expected.end()));
    EXPECT_TRUE(fs::is_directory(temporary)); // not ours to remove, and it is still there
    fs::remove(temporary);
    EXPECT_EQ(folder.entries(), std::vector<std::string>{"out.txt"});
}

TEST(AtomicFile, FailedRenameRemovesTheTemporary)
{
    // A target that is a non-empty folder cannot be replaced by a file.
    TempFolder folder;
    const fs::path target = folder / "taken";
    fs::create_directory(target);
    writeText(target / "inside.txt", "keep");
    expectFileError([&] { writeFileAtomically(target, "data"); }, target, "cannot replace");
    EXPECT_EQ(folder.entries(), std::vector<std::string>{"taken"});
    EXPECT_TRUE(fs::is_directory(target));
    EXPECT_TRUE(fs::exists(target / "inside.txt"));
}

TEST(AtomicFile, ReadOnlyFolderThrowsAndKeepsTheTarget)
{
    if (::geteuid() == 0)
        GTEST_SKIP() << "running as root: permissions are not enforced";
    TempFolder folder;
    const fs::path target = folder / "out.txt";
    writeFileAtomically(target, "old");
    fs::permissions(folder.path(), fs::perms::owner_read | fs::perms::owner_exec);
    expectFileError([&] { writeFileAtomically(target, "new"); }, target, "cannot write");
    fs::permissions(folder.path(), fs::perms::owner_all);
    EXPECT_EQ(readBytes(target), (Bytes{'o', 'l', 'd'}));
    EXPECT_EQ(folder.entries(), std::vector<std::string>{"out.txt"});
}

// --- trainer checkpoints ------------------------------------------------------------

const DatasetSplits& tinyData()
{
    static const DatasetSplits data = [] {
        SyntheticOptions options;
        options.trainCount = 64;
        options.testCount = 16;
        return makeSyntheticDataset(options);
    }();
    return data;
}

TrainOptions tinyOptions()
{
    TrainOptions options;
    options.model = "lenet5";
    options.steps = 2;
    options.batch = 8;
    options.evaluate = false;
    options.optimizer.kind = "sgd";
    options.optimizer.momentum = 0.9f;
    return options;
}

class TrainerCheckpointFile : public testing::Test {
protected:
    void SetUp() override
    {
        file_ = folder_ / "model.ckpt";
        Trainer source(tinyOptions(), tinyData());
        source.run();
        source.saveCheckpoint(file_);
        savedDigest_ = source.weightsDigest();
        good_ = readBytes(file_);
        ASSERT_GT(good_.size(), kHeaderBytes + 1000);
    }

    // Loading must fail with a FileError naming the file and `fault`, and
    // leave a fresh trainer untouched.
    void expectLoadError(const fs::path& file, const std::string& fault)
    {
        Trainer trainer(tinyOptions(), tinyData());
        const std::string before = trainer.weightsDigest();
        expectFileError([&] { trainer.loadCheckpoint(file); }, file, fault);
        EXPECT_EQ(trainer.weightsDigest(), before);
        EXPECT_EQ(trainer.globalStep(), 0);
    }

    // The checkpoint's payload, re-wrapped with a valid header and checksum.
    void rewritePayload(const Bytes& payload)
    {
        const std::string magic(reinterpret_cast<const char*>(good_.data()),
                                strnlen(reinterpret_cast<const char*>(good_.data()), 8));
        uint32_t version = 0;
        std::memcpy(&version, good_.data() + kVersionOffset, sizeof version);
        writeChecksummedFile(file_, magic, version, payload);
    }
    Bytes goodPayload() const { return Bytes(good_.begin() + kHeaderBytes, good_.end()); }

    TempFolder folder_;
    fs::path file_;
    std::string savedDigest_;
    Bytes good_;
};

TEST_F(TrainerCheckpointFile, IntactFileLoads)
{
    Trainer trainer(tinyOptions(), tinyData());
    trainer.loadCheckpoint(file_);
    EXPECT_EQ(trainer.weightsDigest(), savedDigest_);
    EXPECT_EQ(trainer.globalStep(), 2);
    EXPECT_EQ(folder_.entries(), std::vector<std::string>{"model.ckpt"});
}

TEST_F(TrainerCheckpointFile, FlippedPayloadByte)
{
    Bytes bytes = good_;
    bytes[kHeaderBytes + (bytes.size() - kHeaderBytes) / 2] ^= 0x10;
    writeBytes(file_, bytes);
    expectLoadError(file_, "checksum mismatch");
}

TEST_F(TrainerCheckpointFile, TruncatedFile)
{
    Bytes bytes = good_;
    bytes.resize(bytes.size() - 100);
    writeBytes(file_, bytes);
    expectLoadError(file_, "truncated");
}

TEST_F(TrainerCheckpointFile, RandomText)
{
    writeText(file_, "this is not a checkpoint, just some words in a text file\n");
    expectLoadError(file_, "not an LPM checkpoint");
}

TEST_F(TrainerCheckpointFile, OtherFormatVersion)
{
    Bytes bytes = good_;
    bytes[kVersionOffset] += 1;
    writeBytes(file_, bytes);
    expectLoadError(file_, "format version");
}

TEST_F(TrainerCheckpointFile, MissingFile)
{
    expectLoadError(folder_ / "missing.ckpt", "cannot open");
}

TEST_F(TrainerCheckpointFile, ValidChecksumButShortPayload)
{
    Bytes payload = goodPayload();
    payload.resize(payload.size() - 4);
    rewritePayload(payload);
    expectLoadError(file_, "truncated");
}

TEST_F(TrainerCheckpointFile, ValidChecksumButTrailingData)
{
    Bytes payload = goodPayload();
    payload.push_back(42);
    rewritePayload(payload);
    expectLoadError(file_, "unexpected data");
}

TEST_F(TrainerCheckpointFile, SaveIntoMissingFolderThrowsAndLeavesNothing)
{
    Trainer trainer(tinyOptions(), tinyData());
    const fs::path target = folder_ / "missing" / "model.ckpt";
    expectFileError([&] { trainer.saveCheckpoint(target); }, target, "cannot write");
    EXPECT_EQ(folder_.entries(), std::vector<std::string>{"model.ckpt"});
}

TEST_F(TrainerCheckpointFile, SavingAgainReplacesAtomically)
{
    TrainOptions options = tinyOptions();
    options.steps = 1;
    Trainer trainer(options, tinyData());
    trainer.loadCheckpoint(file_);
    trainer.run();
    trainer.saveCheckpoint(file_);
    EXPECT_EQ(folder_.entries(), std::vector<std::string>{"model.ckpt"});
    Trainer reloaded(options, tinyData());
    reloaded.loadCheckpoint(file_);
    EXPECT_EQ(reloaded.globalStep(), 3);
    EXPECT_EQ(reloaded.weightsDigest(), trainer.weightsDigest());
}

} // namespace
} // namespace lpm
