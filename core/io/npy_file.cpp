#include "io/npy_file.h"

#include <cstring>
#include <string>

#include "io/atomic_file.h"
#include "io/whole_file.h"
#include "tensor/error.h"

namespace lpm {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;

// The text after `key` in the header's dictionary, up to the next comma at
// depth 0 (or the closing brace); empty when the key is absent.
std::string field(const std::string& header, const std::string& key)
{
    const size_t at = header.find("'" + key + "'");
    if (at == std::string::npos)
        return {};
    size_t begin = header.find(':', at);
    if (begin == std::string::npos)
        return {};
    ++begin;
    int depth = 0;
    size_t end = begin;
    for (; end < header.size(); ++end) {
        const char c = header[end];
        if (c == '(')
            ++depth;
        else if (c == ')')
            --depth;
        else if ((c == ',' || c == '}') && depth == 0)
            break;
    }
    std::string value = header.substr(begin, end - begin);
    const size_t first = value.find_first_not_of(' ');
    const size_t last = value.find_last_not_of(' ');
    return first == std::string::npos ? std::string() : value.substr(first, last - first + 1);
}

std::vector<int64_t> parseShape(const std::string& text, const std::string& file)
{
    if (text.size() < 2 || text.front() != '(' || text.back() != ')')
        throw FileError(file + ": the .npy header's shape is not a tuple: " + text);
    std::vector<int64_t> shape;
    std::string number;
    for (size_t i = 1; i < text.size(); ++i) {
        const char c = text[i];
        if (c >= '0' && c <= '9') {
            number += c;
        } else if (c == ',' || c == ')') {
            if (!number.empty()) {
                if (number.size() > 15)
                    throw FileError(file + ": the .npy shape " + text + " is too large");
                shape.push_back(std::stoll(number));
            }
            number.clear();
        } else if (c != ' ') {
            throw FileError(file + ": the .npy header's shape is not a tuple of sizes: " + text);
        }
    }
    return shape;
}

} // namespace

NpyArray readNpy(const std::filesystem::path& path)
{
    const std::string file = path.string();
    const std::string bytes = readWholeFile(path, ".npy array");
    if (bytes.size() < 10 || bytes.compare(0, kMagicBytes, kMagic, kMagicBytes) != 0)
        throw FileError(file + ": not a NumPy .npy file (it does not start with \\x93NUMPY)");
    const auto major = uint8_t(bytes[6]);
    size_t headerBytes = 0, headerStart = 0;
    if (major == 1) {
        headerBytes = uint8_t(bytes[8]) | size_t(uint8_t(bytes[9])) << 8;
        headerStart = 10;
    } else if ((major == 2 || major == 3) && bytes.size() >= 12) {
        for (int i = 3; i >= 0; --i)
            headerBytes = headerBytes << 8 | uint8_t(bytes[8 + size_t(i)]);
        headerStart = 12;
    } else {
        throw FileError(file + ": .npy format version " + std::to_string(major) + " is not supported (1 to 3 are)");
    }
    if (headerStart + headerBytes > bytes.size())
        throw FileError(file + ": the .npy header runs past the end of the file");
    const std::string header = bytes.substr(headerStart, headerBytes);
    const std::string descr = field(header, "descr");
    const bool doubles = descr == "'<f8'";
    if (descr != "'<f4'" && !doubles)
        throw FileError(file + ": holds elements of type " + (descr.empty() ? std::string("(none given)") : descr)
                        + "; expected float32 ('<f4') or float64 ('<f8')");
    if (field(header, "fortran_order") != "False")
        throw FileError(file + ": is in Fortran order; save it in C order (np.ascontiguousarray)");
    NpyArray array;
    array.shape = parseShape(field(header, "shape"), file);
    uint64_t count = 1;
    for (int64_t extent : array.shape)
        if (__builtin_mul_overflow(count, uint64_t(extent), &count))
            throw FileError(file + ": the .npy shape is too large");
    const size_t width = doubles ? 8 : 4;
    const size_t dataStart = headerStart + headerBytes;
    if (count > (bytes.size() - dataStart) / width)
        throw FileError(file + ": holds " + std::to_string((bytes.size() - dataStart) / width) + " elements, its shape "
                        + field(header, "shape") + " needs " + std::to_string(count));
    array.values.resize(size_t(count));
    if (doubles) {
        for (size_t i = 0; i < count; ++i) {
            double value = 0.0;
            std::memcpy(&value, bytes.data() + dataStart + i * 8, 8);
            array.values[i] = float(value);
        }
    } else {
        std::memcpy(array.values.data(), bytes.data() + dataStart, size_t(count) * 4);
    }
    return array;
}

void writeNpy(const std::filesystem::path& file, const NpyArray& array)
{
    std::string shape = "(";
    for (int64_t extent : array.shape)
        shape += std::to_string(extent) + (array.shape.size() == 1 ? "," : ", ");
    if (array.shape.size() > 1)
        shape.resize(shape.size() - 2);
    shape += ")";
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    // Padded with spaces and a newline so that the data starts at a multiple of 64 bytes.
    const size_t total = kMagicBytes + 4 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    std::string bytes(kMagic, kMagicBytes);
    bytes += char(1);
    bytes += char(0);
    bytes += char(header.size() & 0xff);
    bytes += char(header.size() >> 8);
    bytes += header;
    const size_t dataStart = bytes.size();
    bytes.resize(dataStart + array.values.size() * 4);
    std::memcpy(bytes.data() + dataStart, array.values.data(), array.values.size() * 4);
    writeFileAtomically(file, bytes);
}

} // namespace lpm
