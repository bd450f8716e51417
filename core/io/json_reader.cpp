#include "io/json_reader.h"

namespace lpm {

nlohmann::json parseJson(const std::string& text, const std::string& source)
{
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& error) {
        throw FileError(source + ": not valid JSON: " + error.what());
    }
}

} // namespace lpm
