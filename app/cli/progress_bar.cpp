#include "cli/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace lpm::cli {

std::string formatDuration(double seconds)
{
    const auto total = static_cast<long long>(std::llround(std::max(seconds, 0.0)));
    char text[32];
    if (total >= 3600)
        std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
    else
        std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
    return text;
}

ProgressBar::ProgressBar(FILE* stream) : stream_(stream), terminal_(::isatty(::fileno(stream)) != 0) {}

void ProgressBar::update(const ProgressLine& line, bool important)
{
    const double fraction = line.total > 0 ? double(line.done) / double(line.total) : 1.0;
    const double eta = line.done > 0 ? line.elapsedSeconds * double(line.total - line.done) / double(line.done) : 0.0;
    if (terminal_) {
        constexpr int kWidth = 28;
        const int filled = static_cast<int>(fraction * kWidth);
        std::string bar(static_cast<size_t>(filled), '=');
        if (filled < kWidth)
            bar += '>';
        bar.resize(kWidth, ' ');
        std::fprintf(stream_, "\r\033[K[%s] %3d%% %lld/%lld  %s  ETA %s", bar.c_str(), int(fraction * 100.0),
                     static_cast<long long>(line.done), static_cast<long long>(line.total), line.detail.c_str(),
                     formatDuration(eta).c_str());
        lineOpen_ = true;
        if (important) {
            std::fputc('\n', stream_);
            lineOpen_ = false;
        }
        std::fflush(stream_);
        return;
    }
    const int64_t tenth = static_cast<int64_t>(fraction * 10.0);
    if (!important && tenth == lastTenth_)
        return;
    lastTenth_ = tenth;
    std::fprintf(stream_, "%3d%% %lld/%lld  %s  ETA %s\n", int(fraction * 100.0), static_cast<long long>(line.done),
                 static_cast<long long>(line.total), line.detail.c_str(), formatDuration(eta).c_str());
    std::fflush(stream_);
}

void ProgressBar::finish()
{
    if (lineOpen_) {
        std::fputc('\n', stream_);
        std::fflush(stream_);
        lineOpen_ = false;
    }
}

} // namespace lpm::cli
