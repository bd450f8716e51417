// A link's latency and bandwidth from timed messages of several sizes: the
// line seconds = latency + bytes / bandwidth (the model the planner's link
// figures follow) that fits the times with the least relative error (each
// squared error weighted by 1 / seconds²), so that the small messages, which
// decide the latency, count as much as the large ones, which decide the
// bandwidth.
#pragma once

#include <cstdint>
#include <vector>

namespace lpm {

struct LinkSample {
    int64_t bytes = 0;
    double seconds = 0.0; // one way: half a round trip, median of the repeats
};

struct LinkFit {
    double latencySeconds = 0.0; // at least 0
    double bytesPerSecond = 0.0; // > 0
};

// Throws InvalidArgument unless the samples hold at least two different
// sizes, every time is positive and finite, and larger messages took longer
// (a line that does not rise has no bandwidth).
LinkFit fitLink(const std::vector<LinkSample>& samples);

} // namespace lpm
