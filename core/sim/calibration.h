// The cost model calibrated on a measured run (DESIGN §3).
//
// The profiler times each unit alone, in a loop, on a warm cache. Inside a
// running pipeline the same actions take longer: the stages share the memory
// system, inputs arrive from another core, and a stage that waited starts
// cold. On this project's CPU models the difference is 0–40 %
// (docs/BENCHMARKS.md, 2026-11-28). Calibration times the plan's own stages
// instead. A short run's timeline gives each stage's mean action times, and
// the plan's unit costs are scaled stage by stage until the simulator's stage
// times equal them. The calibrated costs then predict longer runs of the plan
// and its neighbours (other cuts, schedules and micro-batch counts on the
// same devices).
#pragma once

#include <vector>

#include "pipeline/timeline.h"
#include "plan/cost_model.h"
#include "plan/plan.h"
#include "sim/simulator.h"

namespace lpm {

// Each stage's times in `timeline`, counting mini-batches `fromMiniBatch` and
// later, with `predicted` (one entry per stage) as the template:
// - forward and backward: mean seconds per F and per B;
// - update and all-reduce: seconds per mini-batch (a dp replica's U is its
//   share's step and its weights copy);
// - prepareInput and transferIn: kept from `predicted`. The first stage's F
//   events include its gather of each mini-batch, so the predicted gather is
//   taken out of the mean F, where the simulator adds it back.
// A stage with no event of a kind keeps the predicted time. Throws
// InvalidArgument when the timeline's stage count differs from `predicted`.
std::vector<StageTimes> measuredStageTimes(const Timeline& timeline, std::vector<StageTimes> predicted,
                                           int fromMiniBatch = 0);

// `plan.costs`, calibrated on `measured`, a timeline of the plan run by the
// executor (mini-batches `fromMiniBatch` and later count):
// - every stage's units get their forward and backward times scaled by the
//   stage's measured/predicted ratio. A unit on several stages of one device
//   kind (dp replicas) gets the largest of their ratios: the replicas meet at
//   every all-reduce, so the slowest one sets the pace;
// - every device kind's update rate is scaled by the largest ratio of its
//   stages' measured to predicted update seconds (for dp on CPU cores,
//   update plus all-reduce, which runs at the update's rate);
// - the gather and the links stay as they were.
// The device's `source` says so and gives the ratios. Throws InvalidArgument
// for an invalid plan, a timeline with another stage count, or one without
// an F and a B on every stage from `fromMiniBatch` on.
ModelCosts calibrateCosts(const Plan& plan, const Timeline& measured, int fromMiniBatch = 0);

} // namespace lpm
