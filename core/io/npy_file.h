// NumPy's .npy files of float32 arrays (format versions 1.0 to 3.0, C order,
// little-endian): what `lpm infer` reads its inputs from and writes its
// outputs to, so that they compare with PyTorch's in a few lines of Python.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace lpm {

struct NpyArray {
    std::vector<int64_t> shape;
    std::vector<float> values; // row-major, the product of `shape` of them
};

// Reads float32 ('<f4') or float64 ('<f8', converted) arrays; throws
// FileError naming the file and what does not fit: not an .npy file, another
// element type, Fortran order, or fewer bytes than the shape needs.
NpyArray readNpy(const std::filesystem::path& file);

// Writes a float32 array (format 1.0), atomically.
void writeNpy(const std::filesystem::path& file, const NpyArray& array);

} // namespace lpm
