// A timeline of a pipelined run: one event per compute action on a stage and
// one per transfer, with start and end in seconds from the run's start. The simulator predicts
// one; the executor will record one; being the same type, they overlay.
#pragma once

#include <vector>

#include "schedule/schedule.h"

namespace lpm {

struct TimelineEvent {
    int stage = 0;
    ActionKind kind = ActionKind::Forward; // Forward, Backward, Update or AllReduce
    int microBatch = -1;
    int miniBatch = 0;
    double start = 0.0;
    double end = 0.0;
};

// A message between neighbouring stages: from leaving the sender (once the
// link is free) to arriving at the receiver.
struct TimelineTransfer {
    int fromStage = 0;
    int toStage = 0;
    Direction direction = Direction::Activation;
    int microBatch = 0;
    int miniBatch = 0;
    double start = 0.0;
    double end = 0.0;
};

struct Timeline {
    int stages = 0;
    std::vector<TimelineEvent> events;       // in the order they were played
    std::vector<TimelineTransfer> transfers; // in the order they were sent
};

} // namespace lpm
