#include "io/json_reader.h"

namespace lpm {

nlohmann::json parseJson(const std::string& text, const std::string& source)
{
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& error) {
        // parse_error, and out_of_range for a number too large for a double (found by fuzzing).
        throw FileError(source + ": not valid JSON: " + error.what());
    }
}

} // namespace lpm
