#include "io/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "tensor/error.h"

namespace lpm {

void writeFileAtomically(const std::filesystem::path& file, std::string_view bytes)
{
    const std::string temporary = file.string() + ".tmp-" + std::to_string(static_cast<long>(::getpid()));
    FILE* out = std::fopen(temporary.c_str(), "wb");
    if (out == nullptr)
        throw FileError(file.string() + ": cannot write (" + std::strerror(errno) + ")");
    bool ok = std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size() && std::fflush(out) == 0
              && ::fsync(::fileno(out)) == 0;
    const int writeErrno = errno;
    ok = std::fclose(out) == 0 && ok;
    if (!ok) {
        std::remove(temporary.c_str());
        throw FileError(file.string() + ": cannot write (" + std::strerror(writeErrno) + ")");
    }
    std::error_code error;
    std::filesystem::rename(temporary, file, error);
    if (error) {
        std::remove(temporary.c_str());
        throw FileError(file.string() + ": cannot replace (" + error.message() + ")");
    }
}

} // namespace lpm
