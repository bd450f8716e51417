// How a byte-level language model's results read: the loss in bits per
// byte, and its text on one line. Plain values (the GUI includes it).
#pragma once

#include <cmath>
#include <string>

namespace lpm {

// A mean loss in nats per byte-level token as bits per byte: loss / ln 2.
inline double bitsPerByte(double meanLoss)
{
    return meanLoss / std::log(2.0);
}

// `bytes` on one line for a terminal or a label: a newline as "↵", a tab as a
// space, other control bytes as "·"; the rest (UTF-8 text) as it is.
std::string oneLineText(const std::string& bytes);

} // namespace lpm
