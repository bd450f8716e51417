// How the studio writes a byte count: MiB with one decimal, GiB with two from
// 1 GiB on ("11.8 MiB", "74.50 GiB").
#pragma once

#include <cstdint>

#include <QString>

namespace lpm::gui {

inline QString bytesText(int64_t bytes)
{
    const double mib = double(bytes) / double(1 << 20);
    return mib >= 1024.0 ? QString::number(mib / 1024.0, 'f', 2) + " GiB" : QString::number(mib, 'f', 1) + " MiB";
}

} // namespace lpm::gui
