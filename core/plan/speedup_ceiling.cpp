#include "plan/speedup_ceiling.h"

#include <algorithm>
#include <limits>

#include "plan/partitioners.h"

namespace lpm {

namespace {

// Relative slack under which two bottleneck times count as equal (rounding).
constexpr double kEqualTimes = 1e-9;

// The best cut: fitting in memory when any cut does, else ignoring memory.
Partition bestCut(const PartitionProblem& problem)
{
    Partition cut = partitionMinimalBottleneck(problem, true);
    return cut.empty() ? partitionMinimalBottleneck(problem, false) : cut;
}

// The same problem with free links: what cutting would give without communication.
PartitionProblem withoutCommunication(PartitionProblem problem)
{
    for (PlanLink& link : problem.links)
        link = {std::numeric_limits<double>::infinity(), 0.0};
    return problem;
}

} // namespace

SpeedupCeiling estimateSpeedupCeiling(const PartitionProblem& problem)
{
    validatePartitionProblem(problem);
    SpeedupCeiling ceiling;
    for (double seconds : problem.unitSeconds)
        ceiling.sequentialSeconds += seconds;
    ceiling.cut = bestCut(problem);
    for (size_t s = 0; s < ceiling.cut.size(); ++s) {
        const PlannedStage& stage = ceiling.cut[s];
        const double seconds = stageSeconds(problem, stage.first, stage.last, stage.device);
        if (s == 0 || seconds > ceiling.bottleneckSeconds) {
            ceiling.bottleneckSeconds = seconds;
            ceiling.slowestStage = int(s);
        }
    }
    ceiling.speedup = ceiling.bottleneckSeconds > 0.0 ? ceiling.sequentialSeconds / ceiling.bottleneckSeconds
                                                      : 1.0; // nothing to compute and nothing to send: no gain, no loss

    const int possibleStages = std::min(problem.unitCount(), problem.deviceCount());
    double usableSpeed = 0.0;
    for (int d = 0; d < possibleStages; ++d)
        usableSpeed += problem.devices[size_t(d)].speed;
    if (ceiling.bottleneckSeconds > 0.0 && ceiling.speedup >= usableSpeed * (1.0 - kEqualTimes)) {
        ceiling.kind = BottleneckKind::Devices;
        return ceiling;
    }

    // One stage although more were possible: did communication forbid the cut?
    if (ceiling.cut.size() == 1 && possibleStages > 1) {
        const PartitionProblem free = withoutCommunication(problem);
        const Partition freeCut = bestCut(free);
        if (bottleneckSeconds(free, freeCut) < ceiling.bottleneckSeconds * (1.0 - kEqualTimes)) {
            ceiling.kind = BottleneckKind::Link;
            ceiling.link = 0;
            ceiling.unit = freeCut.front().last;
            ceiling.transferSeconds = communicationSeconds(problem, ceiling.unit + 1, 1);
            return ceiling;
        }
    }

    const PlannedStage& slowest = ceiling.cut[size_t(ceiling.slowestStage)];
    const double speed = problem.devices[size_t(slowest.device)].speed;
    const double transfer = communicationSeconds(problem, slowest.first, slowest.device);
    int largest = slowest.first;
    double compute = 0.0;
    for (int u = slowest.first; u <= slowest.last; ++u) {
        compute += problem.unitSeconds[size_t(u)];
        if (problem.unitSeconds[size_t(u)] > problem.unitSeconds[size_t(largest)])
            largest = u;
    }
    const double largestSeconds = problem.unitSeconds[size_t(largest)] / speed;
    const double othersSeconds = compute / speed - largestSeconds;
    if (transfer > largestSeconds && transfer > othersSeconds) {
        ceiling.kind = BottleneckKind::Link;
        ceiling.link = slowest.device - 1;
        ceiling.unit = slowest.first - 1;
        ceiling.transferSeconds = transfer;
    } else if (largestSeconds > othersSeconds) {
        ceiling.kind = BottleneckKind::Unit;
        ceiling.unit = largest;
        ceiling.unitShare =
            ceiling.sequentialSeconds > 0.0 ? problem.unitSeconds[size_t(largest)] / ceiling.sequentialSeconds : 0.0;
    } else {
        ceiling.kind = BottleneckKind::Stage;
    }
    return ceiling;
}

} // namespace lpm
