// Plain values in and out of a byte message (rank_channel.h), in this
// machine's layout: every rank of a job runs the same build on the same kind
// of machine (the handshake checks the build). A reader that runs past its
// message's end throws naming what it was reading.
#pragma once

#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "dist/rank_channel.h"
#include "tensor/error.h"

namespace lpm {

class BytePacker {
public:
    template <typename Value>
    void put(const Value& value)
    {
        static_assert(std::is_trivially_copyable_v<Value>);
        append(&value, sizeof(Value));
    }
    // The count, then the values.
    template <typename Value>
    void putVector(const std::vector<Value>& values)
    {
        static_assert(std::is_trivially_copyable_v<Value>);
        put<int64_t>(int64_t(values.size()));
        append(values.data(), sizeof(Value) * values.size());
    }
    void append(const void* data, size_t size)
    {
        if (size == 0)
            return;
        const auto* from = static_cast<const std::byte*>(data);
        bytes_.insert(bytes_.end(), from, from + size);
    }
    MessageBytes take() { return std::move(bytes_); }

private:
    MessageBytes bytes_;
};

class ByteUnpacker {
public:
    // `what` names the message in errors ("the activation from rank 1").
    ByteUnpacker(const MessageBytes& bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}

    template <typename Value>
    Value get()
    {
        static_assert(std::is_trivially_copyable_v<Value>);
        Value value;
        read(&value, sizeof(Value));
        return value;
    }
    template <typename Value>
    std::vector<Value> getVector()
    {
        const int64_t count = get<int64_t>();
        if (count < 0 || uint64_t(count) > (bytes_.size() - offset_) / sizeof(Value))
            throw Error(what_ + ": a list of " + std::to_string(count) + " values does not fit the "
                        + std::to_string(bytes_.size()) + "-byte message");
        std::vector<Value> values(static_cast<size_t>(count));
        read(values.data(), sizeof(Value) * values.size());
        return values;
    }
    void read(void* data, size_t size)
    {
        if (size == 0)
            return;
        if (size > bytes_.size() - offset_)
            throw Error(what_ + ": the " + std::to_string(bytes_.size()) + "-byte message ends before byte "
                        + std::to_string(offset_ + size));
        std::memcpy(data, bytes_.data() + offset_, size);
        offset_ += size;
    }
    bool atEnd() const { return offset_ == bytes_.size(); }
    size_t remaining() const { return bytes_.size() - offset_; }

private:
    const MessageBytes& bytes_;
    std::string what_;
    size_t offset_ = 0;
};

} // namespace lpm
