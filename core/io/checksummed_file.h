// A versioned, checksummed container for binary payloads (checkpoints).
//
// Layout (little-endian): magic (8 bytes) · format version (u32) · reserved (u32)
// · payload size in bytes (u64) · FNV-1a 64 of the payload (u64) · payload.
// Writing is atomic (io/atomic_file.h): a crash never leaves a half file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lpm {

// Throws FileError naming the file when it cannot be written; the target is
// then unchanged and no temporary is left behind.
void writeChecksummedFile(const std::filesystem::path& file, const std::string& magic, uint32_t version,
                          const std::vector<unsigned char>& payload);

// Returns the payload. Throws FileError naming the file and the fault: missing
// or unreadable, not this kind of file (magic), another format version, size
// disagreeing with the header, or a checksum mismatch (corruption).
std::vector<unsigned char> readChecksummedFile(const std::filesystem::path& file, const std::string& magic,
                                               uint32_t version, const std::string& kindOfFile);

} // namespace lpm
