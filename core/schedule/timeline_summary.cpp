#include "schedule/timeline_summary.h"

#include <algorithm>
#include <limits>

namespace lpm {

TimelineSummary summarizeTimeline(const Timeline& timeline)
{
    TimelineSummary summary;
    summary.busySeconds.assign(size_t(std::max(timeline.stages, 0)), 0.0);
    if (timeline.events.empty())
        return summary;
    double first = std::numeric_limits<double>::infinity(), last = -first;
    for (const TimelineEvent& event : timeline.events) {
        first = std::min(first, event.start);
        last = std::max(last, event.end);
        if (event.stage >= 0 && event.stage < timeline.stages)
            summary.busySeconds[size_t(event.stage)] += event.end - event.start;
    }
    summary.makespanSeconds = last - first;
    double busy = 0.0;
    for (double seconds : summary.busySeconds)
        busy += seconds;
    if (summary.makespanSeconds > 0.0 && timeline.stages > 0)
        summary.bubbleFraction = std::max(0.0, 1.0 - busy / (timeline.stages * summary.makespanSeconds));
    return summary;
}

} // namespace lpm
