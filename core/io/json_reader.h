// Reading JSON documents (nlohmann::json) with errors that name the file and
// the field's path, shared by the plan, costs and design file formats.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tensor/error.h"

namespace lpm {

// Reads fields of a JSON document, naming the file and the field's path in
// every error ("plan.json: stages[2].first: expected an integer").
class JsonReader {
public:
    JsonReader(const nlohmann::json& value, std::string source, std::string path)
        : value_(value), source_(std::move(source)), path_(std::move(path))
    {
    }

    [[noreturn]] void fail(const std::string& message) const
    {
        throw FileError(source_ + ": " + (path_.empty() ? "" : path_ + ": ") + message);
    }

    JsonReader field(const std::string& name) const
    {
        if (!value_.is_object())
            fail("expected an object");
        const auto found = value_.find(name);
        const std::string path = path_.empty() ? name : path_ + "." + name;
        if (found == value_.end())
            JsonReader(value_, source_, path).fail("missing");
        return JsonReader(*found, source_, path);
    }

    // True when this is an object with field `name` (for optional fields).
    bool has(const std::string& name) const { return value_.is_object() && value_.contains(name); }

    std::vector<JsonReader> elements() const
    {
        if (!value_.is_array())
            fail("expected an array");
        std::vector<JsonReader> items;
        for (size_t i = 0; i < value_.size(); ++i)
            items.emplace_back(value_[i], source_, path_ + "[" + std::to_string(i) + "]");
        return items;
    }

    std::string text() const
    {
        if (!value_.is_string())
            fail("expected a string");
        return value_.get<std::string>();
    }

    int64_t integer() const
    {
        if (!value_.is_number_integer())
            fail("expected an integer");
        return value_.get<int64_t>();
    }

    int integer32() const
    {
        const int64_t value = integer();
        if (value < INT32_MIN || value > INT32_MAX)
            fail("expected an integer of 32 bits, got " + std::to_string(value));
        return int(value);
    }

    bool boolean() const
    {
        if (!value_.is_boolean())
            fail("expected true or false");
        return value_.get<bool>();
    }

    double number() const
    {
        if (!value_.is_number())
            fail("expected a number");
        return value_.get<double>();
    }

    void requireFormat(const std::string& format, int version) const
    {
        if (!value_.is_object())
            fail("expected a JSON object (an " + format + " file)");
        if (field("format").text() != format)
            field("format").fail("expected \"" + format + "\", got \"" + field("format").text() + "\"");
        const int64_t found = field("version").integer();
        if (found != version)
            field("version").fail("version " + std::to_string(found) + " is not supported (this lpm reads "
                                  + std::to_string(version) + ")");
    }

    const std::string& source() const { return source_; }
    const nlohmann::json& value() const { return value_; }

private:
    const nlohmann::json& value_;
    std::string source_;
    std::string path_;
};

// Throws FileError naming `source` for text that is not JSON.
nlohmann::json parseJson(const std::string& text, const std::string& source);

} // namespace lpm
