// The speedup ceiling of a layer-wise cut (issue 18): how much faster than one
// device any pipeline of contiguous stages can go on a partitioning problem's
// devices, whatever the schedule, and what sets that limit.
//
// Definition (seconds per micro-batch, the cost model of partition_problem.h):
//   sequential  S = Σ_u unitSeconds[u]: every unit on the reference device (the
//               fastest kind among the plan's, alone on it: speed 1).
//   bottleneck  B = the smallest slowest-stage time over every contiguous cut
//               into 1..min(p, n) stages (stage k on device k) whose stages fit
//               their devices' memory, each stage's time being
//               Σ unitSeconds / speed(d) + 2·(latency + outputBytes[first − 1] / bandwidth)
//               — optimal's dynamic programme (partitionMinimalBottleneck). When
//               no cut fits in memory, memory is ignored.
//   ceiling     C = S / B.
// B is bounded below by the largest unit's time, max_u unitSeconds[u] / max_d speed(d),
// so C ≤ max_d speed(d) / f for the unit holding fraction f of the work: with
// one unit of fraction f ≥ 1/2 at an end of the chain, equal devices and free
// links, two stages give exactly C = 1/f. Communication only raises B.
// C leaves out what a schedule adds (bubbles, the update, transfers that
// overlap compute), so a prediction's speedup is usually below C; the
// simulator lets transfers overlap compute, so with costly links it can come
// out slightly above. C < 1 when device 0 is slower than the reference.
//
// The bottleneck names what sets B. When C reaches the summed speed of the
// devices a cut can use (the first min(p, n)), the work divides evenly and
// only more devices raise C: Devices. Otherwise it comes from the slowest
// stage of the best cut (the first of equals), whose time splits into three
// parts: its input transfer, its largest unit's compute and its other units'.
//   Link   the transfer is the largest part; or the best cut is a single stage
//          although cutting without communication would have lowered B (every
//          cut's transfer costs more than it saves).
//   Unit   otherwise, when the largest unit's compute exceeds the others'.
//   Stage  otherwise: the units do not divide more evenly over the devices.
#pragma once

#include "plan/partition_problem.h"

namespace lpm {

enum class BottleneckKind { Devices, Unit, Link, Stage };

struct SpeedupCeiling {
    double speedup = 0.0;           // sequentialSeconds / bottleneckSeconds
    double sequentialSeconds = 0.0; // S: per micro-batch, every unit on the reference device
    double bottleneckSeconds = 0.0; // B: per micro-batch, the slowest stage of `cut`
    Partition cut;                  // the best cut, stage k on device k
    int slowestStage = 0;           // index into cut
    BottleneckKind kind = BottleneckKind::Stage;
    // Unit: the unit. Link: the unit after which the link's boundary falls.
    int unit = -1;
    // Link: the link from devices[link] to devices[link + 1].
    int link = -1;
    double unitShare = 0.0;       // Unit: its unitSeconds over sequentialSeconds, in [0, 1]
    double transferSeconds = 0.0; // Link: activation in plus gradient out, per micro-batch
};

// Throws InvalidArgument (validatePartitionProblem) for an inconsistent problem.
SpeedupCeiling estimateSpeedupCeiling(const PartitionProblem& problem);

} // namespace lpm
