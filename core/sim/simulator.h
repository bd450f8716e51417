// Discrete-event simulation of a schedule's action lists (DESIGN §3).
//
// Each stage runs its list in order. F, B, W, R (a forward's time), U and all-reduce occupy the stage
// for their duration; a send does not (the link carries it), and the message
// arrives after the link's transfer time, transfers on one link direction
// going one after another; a receive waits for its message; a flush or an
// all-reduce starts when the last stage reaches it.
#pragma once

#include <vector>

#include "schedule/schedule.h"
#include "schedule/timeline.h"

namespace lpm {

// Seconds per micro-batch (forward, backward) and per step (update,
// all-reduce) of each stage, and of each transfer into stage s (s ≥ 1): the
// activation forward and, the same size, the gradient back.
struct StageTimes {
    double forward = 0.0;
    double backward = 0.0; // the whole backward
    double update = 0.0;
    double allReduce = 0.0;
    double transferIn = 0.0; // link from stage s − 1; ignored for stage 0
    // Per mini-batch, added to the stage's first forward of it: the first
    // stage gathers the mini-batch's input there (dp replicas all wait for it).
    double prepareInput = 0.0;
    // The part of `backward` that the parameter gradients take: where a
    // schedule splits the backward, B takes backward − weightGradient and W
    // takes weightGradient.
    double weightGradient = 0.0;
};

struct SimulationResult {
    Timeline timeline;
    double makespanSeconds = 0.0;                    // the whole schedule (all its mini-batches)
    std::vector<double> busySeconds;                 // per stage: F, B, U and all-reduce time
    double bubbleFraction = 0.0;                     // 1 − Σ busy / (stages · makespan)
    std::vector<int> peakInFlightMicroBatches;       // per stage: forwarded, not yet backwarded
    std::vector<int> peakAwaitingWeightMicroBatches; // per stage: B run, W not yet (split schedules)
};

// Throws InvalidArgument when `times` does not have one entry per stage, a
// time is negative, or the schedule deadlocks (see validateSchedule).
SimulationResult simulateSchedule(const Schedule& schedule, const std::vector<StageTimes>& times);

// Plays the lists with zero durations, which checks exactly their
// dependencies, and throws InvalidArgument naming the stuck stages and actions
// when they deadlock, the unmatched message when a send has no receive, or an
// action that addresses a stage, micro-batch or mini-batch outside the schedule.
void validateSchedule(const Schedule& schedule);

} // namespace lpm
