// Byte-level text for language models: any file, UTF-8 or not, read as bytes
// (vocabulary 256; a gzip file is read decompressed), cut by a seeded choice
// into training and validation text.
//
// The validation text is one contiguous tenth of the file (at least one window
// of tokens + 1 bytes) starting at a position drawn from the seed; the
// training text is what lies before it followed by what lies after it. The
// training split is a corpus (Dataset::text): each step draws random windows
// (Batcher). The validation split is materialised as its consecutive,
// non-overlapping windows, so every evaluation sees the same samples.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "data/dataset.h"
#include "data/text_dataset_spec.h"

namespace lpm {

inline constexpr int64_t kByteVocabulary = 256;

// The default corpus: the Jargon File 4.4.7 (public domain, 1.7 MB of English),
// as the Debian package jargon-text installs it.
inline constexpr const char* kDefaultCorpus = "/usr/share/doc/jargon-text/jargon.txt.gz";

// Throws FileError naming the file when it cannot be read, is empty, or holds
// fewer than 2·(tokens + 1) bytes (two windows: one to train on, one to validate).
DatasetSplits loadTextDataset(const std::filesystem::path& file, int64_t tokens, uint64_t seed);

// The same split of bytes already in memory; `name` names them in messages.
DatasetSplits splitText(const std::vector<uint8_t>& bytes, const std::string& name, int64_t tokens, uint64_t seed);

} // namespace lpm
