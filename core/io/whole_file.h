// Reads a whole file into memory.
#pragma once

#include <filesystem>
#include <string>

namespace lpm {

// Throws FileError "<file>: cannot open <kindOfFile> (<reason>)" when the file
// cannot be opened or read (missing, a folder, no permission).
std::string readWholeFile(const std::filesystem::path& file, const std::string& kindOfFile);

} // namespace lpm
