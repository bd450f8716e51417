// Readers for the IDX files that MNIST and Fashion-MNIST ship in
// (http://yann.lecun.com/exdb/mnist/): a big-endian header followed by raw
// unsigned bytes. Files may be gzip-compressed or plain; zlib reads both.
//
// Image files (magic 0x00000803):  magic, count, rows, cols (4 bytes each),
//                                  then count*rows*cols pixel bytes.
// Label files (magic 0x00000801):  magic, count (4 bytes each),
//                                  then count label bytes, each 0-9.
//
// Every malformed file throws lpm::FileError whose message starts with the
// file's path, then ": ", then what was wrong (wrong magic, truncated data,
// data past the end, absurd dimensions, out-of-range label, ...).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace lpm {

// Limits on header values; anything outside is rejected as malformed.
inline constexpr int64_t kIdxMaxSide = 4096;         // rows, cols in 1..4096
inline constexpr int64_t kIdxMaxCount = 100'000'000; // count in 1..1e8

inline constexpr uint32_t kIdxImagesMagic = 0x00000803; // ubyte, 3 dimensions
inline constexpr uint32_t kIdxLabelsMagic = 0x00000801; // ubyte, 1 dimension

// The content of an IDX image file.
struct IdxImages {
    int64_t count = 0;
    int64_t rows = 0;
    int64_t cols = 0;
    // count*rows*cols bytes, row-major: pixel (n, r, c) at (n*rows + r)*cols + c.
    // 0 is background, 255 full intensity.
    std::vector<uint8_t> pixels;
};

// Reads an IDX image file (plain or gzip). Throws FileError on any problem.
IdxImages readIdxImages(const std::filesystem::path& file);

// Reads an IDX label file (plain or gzip); every label is checked to be 0-9.
// Returns one byte per sample. Throws FileError on any problem.
std::vector<uint8_t> readIdxLabels(const std::filesystem::path& file);

// The whole content of a file, decompressed when it is gzip (zlib passes plain
// files through). Throws FileError naming the file when it cannot be opened
// or read, or when its gzip stream is cut off.
std::vector<uint8_t> readMaybeGzipped(const std::filesystem::path& file);

} // namespace lpm
