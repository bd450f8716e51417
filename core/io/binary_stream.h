// Little helpers to build and parse a byte payload field by field. Reading past
// the end throws FileError naming the source and the field, never reads garbage.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tensor/error.h"

namespace lpm {

class ByteWriter {
public:
    template <typename T>
    void put(const T& value)
    {
        const auto* p = reinterpret_cast<const unsigned char*>(&value);
        bytes_.insert(bytes_.end(), p, p + sizeof(T));
    }
    void putString(const std::string& text);
    void putFloats(const float* data, int64_t count);
    const std::vector<unsigned char>& bytes() const { return bytes_; }

private:
    std::vector<unsigned char> bytes_;
};

class ByteReader {
public:
    // `source` names the data in error messages (a file path).
    ByteReader(const unsigned char* data, size_t size, std::string source)
        : data_(data), size_(size), source_(std::move(source))
    {
    }

    template <typename T>
    T get(const char* field)
    {
        require(sizeof(T), field);
        T value;
        std::memcpy(&value, data_ + offset_, sizeof(T));
        offset_ += sizeof(T);
        return value;
    }
    std::string getString(const char* field);
    // Reads a float vector whose stored length must equal `expectedCount`.
    std::vector<float> getFloats(const char* field, int64_t expectedCount);
    // Reads a float vector of the stored length (which must fit in what remains).
    std::vector<float> getFloats(const char* field);
    bool atEnd() const { return offset_ == size_; }

private:
    void require(size_t bytes, const char* field) const;

    const unsigned char* data_;
    size_t size_;
    size_t offset_ = 0;
    std::string source_;
};

constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;
// 64-bit FNV-1a over a byte range, continuing from `hash` (chain calls to hash
// several ranges as one).
uint64_t fnv1a64(const void* data, size_t size, uint64_t hash = kFnvOffsetBasis);

} // namespace lpm
