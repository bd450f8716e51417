#include "io/whole_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "tensor/error.h"

namespace lpm {

std::string readWholeFile(const std::filesystem::path& file, const std::string& kindOfFile)
{
    std::error_code error;
    if (std::filesystem::is_directory(file, error))
        throw FileError(file.string() + ": cannot open " + kindOfFile + " (it is a folder)");
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw FileError(file.string() + ": cannot open " + kindOfFile + " (" + std::strerror(errno) + ")");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad())
        throw FileError(file.string() + ": cannot read " + kindOfFile + " (" + std::strerror(errno) + ")");
    return bytes;
}

} // namespace lpm
