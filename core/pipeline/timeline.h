// A timeline of a pipelined run: one event per compute action on a stage,
// with start and end in seconds from the run's start. The simulator predicts
// one; the executor will record one; being the same type, they overlay.
#pragma once

#include <vector>

#include "pipeline/schedule.h"

namespace lpm {

struct TimelineEvent {
    int stage = 0;
    ActionKind kind = ActionKind::Forward; // Forward, Backward, Update or AllReduce
    int microBatch = -1;
    int miniBatch = 0;
    double start = 0.0;
    double end = 0.0;
};

struct Timeline {
    int stages = 0;
    std::vector<TimelineEvent> events; // in the order they were played
};

} // namespace lpm
