// NumPy .npy files (io/npy_file.h): what `lpm infer` reads and writes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "expect_error.h"
#include "io/npy_file.h"

namespace lpm {
namespace {

namespace fs = std::filesystem;

class NpyFile : public ::testing::Test {
protected:
    void SetUp() override
    {
        folder_ = fs::temp_directory_path() / ("lpm_npy_test_" + std::to_string(::getpid()));
        fs::create_directories(folder_);
    }
    void TearDown() override { fs::remove_all(folder_); }
    fs::path path(const std::string& name) const { return folder_ / name; }
    // A file of a version 1.0 header (padded as NumPy pads it) and `data`.
    fs::path write(const std::string& name, const std::string& header, const std::string& data)
    {
        std::string padded = header;
        padded.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
        padded += '\n';
        std::ofstream out(path(name), std::ios::binary);
        out << std::string("\x93NUMPY\x01\x00", 8) << char(padded.size() & 0xff) << char(padded.size() >> 8) << padded
            << data;
        return path(name);
    }

private:
    fs::path folder_;
};

TEST_F(NpyFile, WritesWhatItReadsAndReadsDoubles)
{
    const NpyArray array{{2, 3}, {1.0f, -2.5f, 3.25f, 0.0f, 1e-8f, 7.0f}};
    writeNpy(path("a.npy"), array);
    const NpyArray back = readNpy(path("a.npy"));
    EXPECT_EQ(back.shape, array.shape);
    EXPECT_EQ(back.values, array.values);
    EXPECT_EQ(fs::file_size(path("a.npy")) % 64, (6u * 4u) % 64); // the data starts at a multiple of 64
    writeNpy(path("one.npy"), NpyArray{{3}, {1.0f, 2.0f, 3.0f}});
    EXPECT_EQ(readNpy(path("one.npy")).shape, (std::vector<int64_t>{3}));

    const double values[2] = {0.5, -1.25};
    std::string data(sizeof values, '\0');
    std::memcpy(data.data(), values, sizeof values);
    const NpyArray doubles = readNpy(write("d.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", data));
    EXPECT_EQ(doubles.values, (std::vector<float>{0.5f, -1.25f}));
}

TEST_F(NpyFile, WhatDoesNotFitIsRefusedNamingTheFile)
{
    const std::string four(16, '\0');
    std::ofstream(path("text.npy")) << "not an array";
    expectError([&] { readNpy(path("text.npy")); }, {"text.npy", "not a NumPy .npy file"});
    expectError([&] { readNpy(write("i.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", four)); },
                {"i.npy", "'<i8'", "expected float32"});
    expectError([&] { readNpy(write("f.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", four)); },
                {"f.npy", "Fortran order"});
    expectError([&] { readNpy(write("s.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", four)); },
                {"s.npy", "holds 4 elements", "(3, 2) needs 6"});
    expectError([&] { readNpy(path("absent.npy")); }, {"absent.npy"});
    std::ofstream(path("v9.npy"), std::ios::binary) << std::string("\x93NUMPY\x09\x00\x10\x00", 10) << "{}";
    expectError([&] { readNpy(path("v9.npy")); }, {"v9.npy", "format version 9 is not supported"});
    std::ofstream(path("cut.npy"), std::ios::binary) << std::string("\x93NUMPY\x01\x00\xff\x00", 10) << "{'descr'";
    expectError([&] { readNpy(path("cut.npy")); }, {"cut.npy", "header runs past the end"});
}

} // namespace
} // namespace lpm
