// What every fuzz target checks beyond the sanitizers: loading an input
// either succeeds or throws the project's typed error (lpm::Error and its
// subclasses, which name the file and field). Any other exception is a
// finding: it aborts, so libFuzzer saves the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "tensor/error.h"

namespace lpm::fuzz {

template <typename Load>
void loadOrTypedError(Load&& load)
{
    try {
        load();
    } catch (const lpm::Error&) {
        // refused with the project's error: fine
    } catch (const std::exception& error) {
        std::fprintf(stderr, "fuzz: untyped exception: %s\n", error.what());
        std::abort();
    }
}

// The input as a file, for entry points that read files (rewritten per input;
// one file per process, in TMPDIR or /tmp, with `suffix`).
inline std::filesystem::path asFile(const uint8_t* data, size_t size, const std::string& suffix)
{
    const char* folder = std::getenv("TMPDIR");
    const std::filesystem::path path = std::filesystem::path(folder != nullptr ? folder : "/tmp")
                                       / ("lpm-fuzz-" + std::to_string(::getpid()) + suffix);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
    return path;
}

} // namespace lpm::fuzz
