#include "train/text_metrics.h"

namespace lpm {

std::string oneLineText(const std::string& bytes)
{
    std::string line;
    for (const char byte : bytes) {
        const auto code = static_cast<unsigned char>(byte);
        if (byte == '\n')
            line += "\u21b5";
        else if (byte == '\t')
            line += ' ';
        else if (code < 0x20 || code == 0x7f)
            line += "\u00b7";
        else
            line += byte;
    }
    return line;
}

} // namespace lpm
