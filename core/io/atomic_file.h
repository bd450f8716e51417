// Writes a whole file atomically: the bytes go to "<file>.tmp-<pid>", are
// flushed to disk, and the temporary is renamed over the target. Readers see
// the old file or the new one, never a half-written one.
#pragma once

#include <filesystem>
#include <string_view>

namespace lpm {

// Throws FileError naming the file when it cannot be written; the target is
// then unchanged and no temporary is left behind.
void writeFileAtomically(const std::filesystem::path& file, std::string_view bytes);

} // namespace lpm
