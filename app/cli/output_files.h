// Checks and writes of the files a command produces, shared by the commands.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace lpm::cli {

// Throws lpm::FileError unless `file`'s folder exists and is writable, so a
// long run fails at once instead of losing its result at the end.
void requireWritableOutput(const std::filesystem::path& file, const std::string& flag);

// Writes `document` as indented JSON, atomically.
void writeJsonFile(const std::filesystem::path& file, const nlohmann::json& document);

} // namespace lpm::cli
