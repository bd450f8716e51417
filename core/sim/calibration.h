// The cost model calibrated on a measured run (DESIGN §3).
//
// The profiler times each unit alone, in a loop, on a warm cache. Inside a
// running pipeline the same actions take longer (the stages share the memory
// system, a stage that waited starts cold, and more that is not yet
// explained): on this project's CPU models 1.0 … 1.5 × the profile, up to
// 2 × on mlp's shortest actions (docs/BENCHMARKS.md, 2026-11-28).
// Calibration times the plan's own stages instead. A short run's timeline
// gives each stage's typical (median) action times, and the plan's unit
// costs are scaled stage by stage until the simulator's stage times equal
// them. The calibrated costs then predict later runs of the plan, and of
// other pipelined schedules on the same devices; dp's replicas load the
// machine differently from pipeline stages and need a dp run to calibrate on.
#pragma once

#include <vector>

#include "plan/cost_model.h"
#include "plan/plan.h"
#include "schedule/timeline.h"
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

// The first mini-batch of `measured` a calibration should count: 1 when
// there are more (the first starts cold: caches, allocations), else 0.
int firstWarmMiniBatch(const Timeline& measured);

// `plan.costs`, calibrated on `measured`, a timeline of the plan run by the
// executor (mini-batches `fromMiniBatch` and later count):
// - every stage's units get their forward and backward times scaled by the
//   stage's measured/predicted ratio, measured as the median F and B (the
//   gather taken out of each mini-batch's first F) and the median update and
//   all-reduce seconds per mini-batch. Medians, not means: a stretch of slow
//   mini-batches (the shared VM's, docs/BENCHMARKS.md) that covers fewer than
//   half of them leaves the calibration as it would be without it. A unit
//   on several stages of one device kind (dp replicas) gets the largest of
//   their ratios: the replicas meet at every all-reduce, so the slowest one
//   sets the pace;
// - every device kind's update rate is scaled by the largest ratio of its
//   stages' measured to predicted update seconds (for dp on CPU cores,
//   update plus all-reduce, which runs at the update's rate);
// - the gather and the links stay as they were.
// The device's `source` says so and gives the ratios, and its `calibratedOn`
// names the plan's schedule. Throws InvalidArgument
// for an invalid plan, a timeline with another stage count, or one without
// an F and a B on every stage from `fromMiniBatch` on.
// `statistic` Mean takes mean action times instead of medians (what
// calibration did before 2026-11-29; bench_pipeline compares the two).
enum class CalibrationStatistic { Median, Mean };
ModelCosts calibrateCosts(const Plan& plan, const Timeline& measured, int fromMiniBatch = 0,
                          CalibrationStatistic statistic = CalibrationStatistic::Median);

} // namespace lpm
