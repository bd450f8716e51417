#include "dist/link_probe.h"

#include <set>
#include <string>

#include "tensor/error.h"

namespace lpm {

void checkLinkProbeOptions(const LinkProbeOptions& options)
{
    const std::set<int64_t> distinct(options.sizes.begin(), options.sizes.end());
    if (distinct.size() < 2)
        throw InvalidArgument("probe-links: give at least two different message sizes (--sizes), got "
                              + std::to_string(distinct.size()));
    for (int64_t size : options.sizes)
        if (size < 1 || size > (int64_t(1) << 30))
            throw InvalidArgument("probe-links: message size " + std::to_string(size)
                                  + " bytes is outside 1 byte .. 1 GiB");
    if (options.repeats < 1)
        throw InvalidArgument("probe-links: repeats must be at least 1, got " + std::to_string(options.repeats));
}

} // namespace lpm
