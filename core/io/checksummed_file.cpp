#include "io/checksummed_file.h"

#include <cstring>

#include "io/atomic_file.h"
#include "io/binary_stream.h"
#include "io/whole_file.h"
#include "tensor/error.h"

namespace lpm {

namespace {
constexpr size_t kMagicBytes = 8;
constexpr size_t kHeaderBytes = kMagicBytes + 4 + 4 + 8 + 8;
} // namespace

void writeChecksummedFile(const std::filesystem::path& file, const std::string& magic, uint32_t version,
                          const std::vector<unsigned char>& payload)
{
    ByteWriter header;
    std::string paddedMagic = magic;
    paddedMagic.resize(kMagicBytes, '\0');
    for (char c : paddedMagic)
        header.put<char>(c);
    header.put<uint32_t>(version);
    header.put<uint32_t>(0);
    header.put<uint64_t>(payload.size());
    header.put<uint64_t>(fnv1a64(payload.data(), payload.size()));

    std::string bytes(header.bytes().begin(), header.bytes().end());
    bytes.append(payload.begin(), payload.end());
    writeFileAtomically(file, bytes);
}

std::vector<unsigned char> readChecksummedFile(const std::filesystem::path& file, const std::string& magic,
                                               uint32_t version, const std::string& kindOfFile)
{
    const std::string name = file.string();
    const std::string content = readWholeFile(file, kindOfFile);
    const std::vector<unsigned char> bytes(content.begin(), content.end());
    std::string paddedMagic = magic;
    paddedMagic.resize(kMagicBytes, '\0');
    if (bytes.size() < kMagicBytes || std::memcmp(bytes.data(), paddedMagic.data(), kMagicBytes) != 0)
        throw FileError(name + ": not an LPM " + kindOfFile + " (missing header)");
    if (bytes.size() < kHeaderBytes)
        throw FileError(name + ": truncated " + kindOfFile + " header (" + std::to_string(bytes.size()) + " of "
                        + std::to_string(kHeaderBytes) + " bytes)");
    ByteReader header(bytes.data() + kMagicBytes, kHeaderBytes - kMagicBytes, name);
    const auto fileVersion = header.get<uint32_t>("format version");
    header.get<uint32_t>("reserved");
    const auto payloadSize = header.get<uint64_t>("payload size");
    const auto checksum = header.get<uint64_t>("checksum");
    if (fileVersion != version)
        throw FileError(name + ": " + kindOfFile + " format version " + std::to_string(fileVersion)
                        + ", this build reads version " + std::to_string(version));
    if (payloadSize != bytes.size() - kHeaderBytes)
        throw FileError(name + ": truncated or padded " + kindOfFile + ": header promises "
                        + std::to_string(payloadSize) + " payload bytes, file holds "
                        + std::to_string(bytes.size() - kHeaderBytes));
    std::vector<unsigned char> payload(bytes.begin() + kHeaderBytes, bytes.end());
    if (fnv1a64(payload.data(), payload.size()) != checksum)
        throw FileError(name + ": corrupt " + kindOfFile + " (checksum mismatch)");
    return payload;
}

} // namespace lpm
