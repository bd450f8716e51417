#include "cli/output_files.h"

#include <unistd.h>

#include "io/atomic_file.h"
#include "tensor/error.h"

namespace lpm::cli {

void requireWritableOutput(const std::filesystem::path& file, const std::string& flag)
{
    const std::filesystem::path folder = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    std::error_code error;
    if (!std::filesystem::is_directory(folder, error))
        throw FileError(flag + " " + file.string() + ": folder " + folder.string() + " does not exist");
    if (::access(folder.c_str(), W_OK) != 0)
        throw FileError(flag + " " + file.string() + ": folder " + folder.string() + " is not writable");
    if (std::filesystem::is_directory(file, error))
        throw FileError(flag + " " + file.string() + ": is a folder, expected a file name");
}

void writeJsonFile(const std::filesystem::path& file, const nlohmann::json& document)
{
    writeFileAtomically(file, document.dump(2) + "\n");
}

} // namespace lpm::cli
