#include "data/idx_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>

#include "tensor/error.h"

namespace lpm {

namespace {

// Throws FileError with the message "<file>: <what>".
[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what)
{
    throw FileError(file.string() + ": " + what);
}

std::string hex32(uint32_t value)
{
    char text[16];
    std::snprintf(text, sizeof text, "0x%08X", value);
    return text;
}

// Owns a zlib file handle. gzread decompresses gzip input and passes plain
// input through unchanged, so one reader serves both kinds of file.
class GzReader {
public:
    explicit GzReader(const std::filesystem::path& file) : file_(file)
    {
        std::error_code error;
        if (std::filesystem::is_directory(file, error))
            fail(file, "cannot open file (it is a directory)");
        errno = 0;
#ifdef _WIN32
        handle_ = gzopen_w(file.c_str(), "rb"); // wide path: any file name works
#else
        handle_ = gzopen(file.c_str(), "rb");
#endif
        if (handle_ == nullptr) {
            std::string reason = errno != 0 ? std::strerror(errno) : "out of memory";
            fail(file, "cannot open file (" + reason + ")");
        }
        gzbuffer(handle_, 1 << 18);
    }
    ~GzReader()
    {
        gzclose(handle_);
    }
    GzReader(const GzReader&) = delete;
    GzReader& operator=(const GzReader&) = delete;

    // Reads up to `size` bytes into `destination`; returns how many were read.
    // Fewer than `size` means end of input (or a truncated gzip stream).
    size_t read(uint8_t* destination, size_t size)
    {
        size_t done = 0;
        while (done < size) {
            unsigned chunk = static_cast<unsigned>(std::min<size_t>(size - done, 1u << 30));
            int got = gzread(handle_, destination + done, chunk);
            if (got < 0)
                fail(file_, "cannot read file (" + zlibError() + ")");
            if (got == 0)
                break;
            done += static_cast<size_t>(got);
        }
        return done;
    }

    // True when no further byte can be read.
    bool atEnd()
    {
        uint8_t extra = 0;
        return read(&extra, 1) == 0;
    }

    // zlib's description of the last problem, e.g. "unexpected end of file"
    // for a cut-off gzip stream; empty when there was none.
    std::string zlibError()
    {
        int code = Z_OK;
        const char* message = gzerror(handle_, &code);
        if (code == Z_OK || message == nullptr)
            return {};
        if (code == Z_ERRNO)
            return std::strerror(errno);
        // zlib prefixes the path it was opened with; our messages already start with it.
        std::string text = message;
        std::string prefix = file_.string() + ": ";
        if (text.compare(0, prefix.size(), prefix) == 0)
            text.erase(0, prefix.size());
        return text;
    }

private:
    std::filesystem::path file_;
    gzFile handle_ = nullptr;
};

// Decodes a big-endian 32-bit integer.
uint32_t bigEndian32(const uint8_t* bytes)
{
    return (uint32_t(bytes[0]) << 24) | (uint32_t(bytes[1]) << 16) | (uint32_t(bytes[2]) << 8) | uint32_t(bytes[3]);
}

// Reads the header of `words` 32-bit big-endian integers and checks the magic.
std::vector<uint32_t> readHeader(GzReader& reader, const std::filesystem::path& file, int words, uint32_t expectedMagic,
                                 const char* kind)
{
    uint8_t bytes[16] = {};
    size_t wanted = static_cast<size_t>(words) * 4;
    size_t got = reader.read(bytes, wanted);
    // Magic first: a short file of the other kind should say "wrong magic".
    uint32_t magic = bigEndian32(bytes);
    if (got >= 4 && magic != expectedMagic) {
        fail(file, "wrong magic number " + hex32(magic) + ", expected " + hex32(expectedMagic) + " (" + kind + ")");
    }
    if (got < wanted) {
        fail(file, "header too short: expected " + std::to_string(wanted) + " bytes, found " + std::to_string(got)
                       + " (" + kind + ")");
    }
    std::vector<uint32_t> header(words);
    for (int i = 0; i < words; ++i)
        header[i] = bigEndian32(bytes + 4 * i);
    return header;
}

void checkRange(const std::filesystem::path& file, const char* what, int64_t value, int64_t limit)
{
    if (value < 1 || value > limit) {
        fail(file,
             std::string(what) + " " + std::to_string(value) + " is invalid (must be 1-" + std::to_string(limit) + ")");
    }
}

// Reads exactly `expected` payload bytes, then checks nothing follows them.
// Grows the buffer as data arrives, in reads that double from 4 KiB up to
// 64 MiB, so a lying header on a short file does not allocate the claimed size.
std::vector<uint8_t> readPayload(GzReader& reader, const std::filesystem::path& file, int64_t expected,
                                 const char* what)
{
    std::vector<uint8_t> data;
    size_t total = static_cast<size_t>(expected);
    size_t nextRead = size_t(1) << 12;
    while (data.size() < total) {
        size_t offset = data.size();
        size_t chunk = std::min(nextRead, total - offset);
        nextRead = std::min(nextRead * 2, size_t(1) << 26);
        data.resize(offset + chunk);
        size_t got = reader.read(data.data() + offset, chunk);
        if (got < chunk) {
            data.resize(offset + got);
            std::string message = "truncated: expected " + std::to_string(expected) + " bytes of " + what + ", found "
                                  + std::to_string(data.size());
            std::string zlibMessage = reader.zlibError();
            if (!zlibMessage.empty())
                message += " (" + zlibMessage + ")";
            fail(file, message);
        }
    }
    if (!reader.atEnd())
        fail(file, "unexpected data after " + std::to_string(expected) + " bytes of " + what);
    return data;
}

} // namespace

IdxImages readIdxImages(const std::filesystem::path& file)
{
    GzReader reader(file);
    std::vector<uint32_t> header = readHeader(reader, file, 4, kIdxImagesMagic, "IDX images");
    IdxImages images;
    images.count = header[1];
    images.rows = header[2];
    images.cols = header[3];
    checkRange(file, "image count", images.count, kIdxMaxCount);
    if (images.rows < 1 || images.rows > kIdxMaxSide || images.cols < 1 || images.cols > kIdxMaxSide) {
        fail(file, "image size " + std::to_string(images.rows) + "x" + std::to_string(images.cols)
                       + " is invalid (rows and cols must be 1-" + std::to_string(kIdxMaxSide) + ")");
    }
    int64_t bytes = images.count * images.rows * images.cols; // <= 1e8 * 4096^2 < 2^63
    images.pixels = readPayload(reader, file, bytes, "pixel data");
    return images;
}

std::vector<uint8_t> readIdxLabels(const std::filesystem::path& file)
{
    GzReader reader(file);
    std::vector<uint32_t> header = readHeader(reader, file, 2, kIdxLabelsMagic, "IDX labels");
    int64_t count = header[1];
    checkRange(file, "label count", count, kIdxMaxCount);
    std::vector<uint8_t> labels = readPayload(reader, file, count, "label data");
    for (size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] > 9) {
            fail(file, "label " + std::to_string(labels[i]) + " at index " + std::to_string(i) + " is outside 0-9");
        }
    }
    return labels;
}

std::vector<uint8_t> readMaybeGzipped(const std::filesystem::path& file)
{
    GzReader reader(file);
    std::vector<uint8_t> bytes;
    // The first read asks for the whole file as stored (a plain file then
    // takes one read); a gzip file grows by doubling reads, up to 64 MiB each.
    std::error_code unknown;
    const uintmax_t stored = std::filesystem::file_size(file, unknown);
    size_t chunk = unknown ? size_t(1) << 16 : size_t(std::min<uintmax_t>(stored, uintmax_t(1) << 26)) + 1;
    for (;;) {
        const size_t done = bytes.size();
        bytes.resize(done + chunk);
        const size_t got = reader.read(bytes.data() + done, chunk);
        bytes.resize(done + got);
        if (got < chunk)
            break;
        chunk = std::min(chunk * 2, size_t(1) << 26);
    }
    const std::string problem = reader.zlibError();
    if (!problem.empty())
        fail(file, "cannot read file (" + problem + ")");
    return bytes;
}

} // namespace lpm
