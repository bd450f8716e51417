// Busy time and bubble of a timeline, measured or predicted alike:
// makespan from the first start to the last end, per stage the seconds of F,
// B, U and all-reduce, and bubble = 1 − Σ busy / (stages · makespan).
#pragma once

#include <vector>

#include "schedule/timeline.h"

namespace lpm {

struct TimelineSummary {
    double makespanSeconds = 0.0;
    std::vector<double> busySeconds; // per stage
    double bubbleFraction = 0.0;
};

TimelineSummary summarizeTimeline(const Timeline& timeline);

} // namespace lpm
