#include "io/binary_stream.h"

namespace lpm {

void ByteWriter::putString(const std::string& text)
{
    put<uint32_t>(static_cast<uint32_t>(text.size()));
    bytes_.insert(bytes_.end(), text.begin(), text.end());
}

void ByteWriter::putFloats(const float* data, int64_t count)
{
    put<int64_t>(count);
    const auto* p = reinterpret_cast<const unsigned char*>(data);
    bytes_.insert(bytes_.end(), p, p + sizeof(float) * size_t(count));
}

void ByteReader::require(size_t bytes, const char* field) const
{
    if (size_ - offset_ < bytes)
        throw FileError(source_ + ": truncated while reading " + field);
}

std::string ByteReader::getString(const char* field)
{
    const auto length = get<uint32_t>(field);
    require(length, field);
    std::string text(reinterpret_cast<const char*>(data_ + offset_), length);
    offset_ += length;
    return text;
}

std::vector<float> ByteReader::getFloats(const char* field, int64_t expectedCount)
{
    const size_t countAt = offset_;
    const auto count = get<int64_t>(field);
    if (count != expectedCount)
        throw FileError(source_ + ": " + field + " holds " + std::to_string(count) + " values, expected "
                        + std::to_string(expectedCount));
    offset_ = countAt;
    return getFloats(field);
}

std::vector<float> ByteReader::getFloats(const char* field)
{
    const auto count = get<int64_t>(field);
    if (count < 0 || uint64_t(count) > (size_ - offset_) / sizeof(float))
        throw FileError(source_ + ": truncated while reading " + field + ": " + std::to_string(count)
                        + " values announced, room for " + std::to_string((size_ - offset_) / sizeof(float)));
    std::vector<float> values(static_cast<size_t>(count));
    if (count > 0) // (an empty vector's data() may be null, which memcpy must not get)
        std::memcpy(values.data(), data_ + offset_, sizeof(float) * size_t(count));
    offset_ += sizeof(float) * size_t(count);
    return values;
}

uint64_t fnv1a64(const void* data, size_t size, uint64_t hash)
{
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) {
        hash ^= bytes[i];
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

} // namespace lpm
