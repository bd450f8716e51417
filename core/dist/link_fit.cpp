#include "dist/link_fit.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "tensor/error.h"

namespace lpm {

LinkFit fitLink(const std::vector<LinkSample>& samples)
{
    for (const LinkSample& sample : samples)
        if (!(sample.seconds > 0.0) || !std::isfinite(sample.seconds) || sample.bytes < 0)
            throw InvalidArgument("link fit: a message of " + std::to_string(sample.bytes) + " bytes took "
                                  + std::to_string(sample.seconds) + " s; expected a positive, finite time");
    const auto [fewest, most] = std::minmax_element(
        samples.begin(), samples.end(), [](const LinkSample& a, const LinkSample& b) { return a.bytes < b.bytes; });
    if (samples.empty() || fewest->bytes == most->bytes)
        throw InvalidArgument("link fit: needs messages of at least two different sizes, got "
                              + std::to_string(samples.size()) + " of one size");
    // Weighted least squares of seconds = a + b · bytes, weights 1 / seconds².
    double weights = 0.0, bytes = 0.0, seconds = 0.0, bytesSquared = 0.0, bytesSeconds = 0.0;
    for (const LinkSample& sample : samples) {
        const double w = 1.0 / (sample.seconds * sample.seconds), x = double(sample.bytes);
        weights += w;
        bytes += w * x;
        seconds += w * sample.seconds;
        bytesSquared += w * x * x;
        bytesSeconds += w * x * sample.seconds;
    }
    const double secondsPerByte = (weights * bytesSeconds - bytes * seconds) / (weights * bytesSquared - bytes * bytes);
    if (!(secondsPerByte > 0.0))
        throw InvalidArgument("link fit: larger messages did not take longer (" + std::to_string(fewest->bytes)
                              + " bytes in " + std::to_string(fewest->seconds) + " s, " + std::to_string(most->bytes)
                              + " bytes in " + std::to_string(most->seconds) + " s); measure larger sizes");
    LinkFit fit;
    fit.bytesPerSecond = 1.0 / secondsPerByte;
    fit.latencySeconds = std::max(0.0, (seconds - secondsPerByte * bytes) / weights);
    return fit;
}

} // namespace lpm
