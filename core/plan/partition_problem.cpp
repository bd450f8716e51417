#include "plan/partition_problem.h"

#include <algorithm>

#include "tensor/error.h"

namespace lpm {

void validatePartitionProblem(const PartitionProblem& problem)
{
    const size_t units = problem.unitSeconds.size();
    if (units == 0)
        throw InvalidArgument("partition problem: no units");
    if (problem.devices.empty())
        throw InvalidArgument("partition problem: no devices");
    auto requireSize = [&](size_t size, size_t expected, const char* field) {
        if (size != expected)
            throw InvalidArgument(std::string("partition problem: ") + field + " has " + std::to_string(size)
                                  + " entries, expected " + std::to_string(expected));
    };
    requireSize(problem.outputBytes.size(), units, "outputBytes");
    requireSize(problem.staticBytes.size(), units, "staticBytes");
    requireSize(problem.savedBytes.size(), units, "savedBytes");
    if (!problem.weightGradientBytes.empty())
        requireSize(problem.weightGradientBytes.size(), units, "weightGradientBytes");
    for (int64_t bytes : problem.weightGradientBytes)
        if (bytes < 0)
            throw InvalidArgument("partition problem: weightGradientBytes must not be negative");
    if (problem.awaitingWeightMicroBatches < 0)
        throw InvalidArgument("partition problem: awaitingWeightMicroBatches must not be negative");
    requireSize(problem.links.size(), problem.devices.size() - 1, "links");
    for (size_t u = 0; u < units; ++u)
        if (!(problem.unitSeconds[u] >= 0.0) || problem.outputBytes[u] < 0 || problem.staticBytes[u] < 0
            || problem.savedBytes[u] < 0)
            throw InvalidArgument("partition problem: unit " + std::to_string(u) + " has a negative or invalid cost");
    for (const PlanDevice& device : problem.devices)
        if (!(device.speed > 0.0) || device.memoryBytes < 0)
            throw InvalidArgument("partition problem: device " + device.name
                                  + " needs a positive speed and non-negative memory");
    for (const PlanLink& link : problem.links)
        if (!(link.bandwidthBytesPerSecond > 0.0) || !(link.latencySeconds >= 0.0))
            throw InvalidArgument("partition problem: links need positive bandwidth and "
                                  "non-negative latency");
    if (problem.inflightMicroBatches < 1)
        throw InvalidArgument("partition problem: inflightMicroBatches must be at least 1");
    if (problem.inputBytes < 0)
        throw InvalidArgument("partition problem: inputBytes must not be negative");
}

double communicationSeconds(const PartitionProblem& problem, int first, int device)
{
    if (first == 0 || device == 0)
        return 0.0;
    const PlanLink& link = problem.links[size_t(device - 1)];
    return 2.0 * (link.latencySeconds + double(problem.outputBytes[size_t(first - 1)]) / link.bandwidthBytesPerSecond);
}

double stageSeconds(const PartitionProblem& problem, int first, int last, int device)
{
    double compute = 0.0;
    for (int u = first; u <= last; ++u)
        compute += problem.unitSeconds[size_t(u)];
    return compute / problem.devices[size_t(device)].speed + communicationSeconds(problem, first, device);
}

int64_t stageInputBytes(const PartitionProblem& problem, int first)
{
    return first == 0 ? problem.inputBytes : problem.outputBytes[size_t(first - 1)];
}

int64_t peakStageBytes(const StageMemory& stage, int64_t inFlight, int64_t awaitingWeights, bool recompute)
{
    const int64_t activations = !recompute     ? inFlight * stage.savedBytes
                                : inFlight > 0 ? inFlight * stage.inputBytes + stage.savedBytes
                                               : 0;
    return stage.staticBytes + activations + awaitingWeights * stage.weightGradientBytes;
}

namespace {
StageMemory problemStageMemory(const PartitionProblem& problem, int first, int last)
{
    StageMemory stage;
    for (int u = first; u <= last; ++u) {
        stage.staticBytes += problem.staticBytes[size_t(u)];
        stage.savedBytes += problem.savedBytes[size_t(u)];
        if (!problem.weightGradientBytes.empty())
            stage.weightGradientBytes += problem.weightGradientBytes[size_t(u)];
    }
    stage.inputBytes = stageInputBytes(problem, first);
    return stage;
}

int64_t problemPeakBytes(const PartitionProblem& problem, const StageMemory& stage)
{
    return peakStageBytes(stage, problem.inflightMicroBatches, problem.awaitingWeightMicroBatches, problem.recompute);
}
} // namespace

int64_t stageMemoryBytes(const PartitionProblem& problem, int first, int last)
{
    return problemPeakBytes(problem, problemStageMemory(problem, first, last));
}

double bottleneckSeconds(const PartitionProblem& problem, const Partition& partition)
{
    double slowest = 0.0;
    for (const PlannedStage& stage : partition)
        slowest = std::max(slowest, stageSeconds(problem, stage.first, stage.last, stage.device));
    return slowest;
}

bool fitsInMemory(const PartitionProblem& problem, const Partition& partition)
{
    for (const PlannedStage& stage : partition)
        if (stageMemoryBytes(problem, stage.first, stage.last) > problem.devices[size_t(stage.device)].memoryBytes)
            return false;
    return true;
}

void requireFitsInMemory(const PartitionProblem& problem, const Partition& partition, const std::string& partitioner)
{
    for (size_t k = 0; k < partition.size(); ++k) {
        const PlannedStage& stage = partition[k];
        const int64_t bytes = stageMemoryBytes(problem, stage.first, stage.last);
        const PlanDevice& device = problem.devices[size_t(stage.device)];
        if (bytes > device.memoryBytes)
            throw InvalidArgument(partitioner + " partition does not fit in memory: stage " + std::to_string(k)
                                  + " (units " + std::to_string(stage.first) + "-" + std::to_string(stage.last)
                                  + ") on device " + std::to_string(stage.device) + " (" + device.name + ") needs "
                                  + std::to_string(bytes) + " bytes, " + std::to_string(bytes - device.memoryBytes)
                                  + " more than its " + std::to_string(device.memoryBytes));
    }
}

std::vector<bool> recomputingStages(const Partition& partition)
{
    std::vector<bool> recomputing;
    for (const PlannedStage& stage : partition)
        recomputing.push_back(stage.recompute);
    return recomputing;
}

Partition partitionFromEnds(const std::vector<int>& ends)
{
    Partition partition;
    for (size_t k = 0, first = 0; k < ends.size(); first = size_t(ends[k]), ++k)
        partition.push_back({int(first), ends[k] - 1, int(k)});
    return partition;
}

StageCosts::StageCosts(const PartitionProblem& problem) : problem_(problem)
{
    const int n = problem.unitCount();
    seconds_.assign(size_t(n) + 1, 0.0);
    static_.assign(size_t(n) + 1, 0);
    saved_.assign(size_t(n) + 1, 0);
    weightGradient_.assign(size_t(n) + 1, 0);
    for (int u = 0; u < n; ++u) {
        const size_t next = size_t(u) + 1;
        seconds_[next] = seconds_[size_t(u)] + problem.unitSeconds[size_t(u)];
        const StageMemory unit = problemStageMemory(problem, u, u);
        static_[next] = static_[size_t(u)] + unit.staticBytes;
        saved_[next] = saved_[size_t(u)] + unit.savedBytes;
        weightGradient_[next] = weightGradient_[size_t(u)] + unit.weightGradientBytes;
    }
}

int64_t StageCosts::bytes(int first, int end) const
{
    const StageMemory stage{static_[size_t(end)] - static_[size_t(first)], saved_[size_t(end)] - saved_[size_t(first)],
                            weightGradient_[size_t(end)] - weightGradient_[size_t(first)],
                            stageInputBytes(problem_, first)};
    return problemPeakBytes(problem_, stage);
}

double StageCosts::seconds(int first, int end, int device) const
{
    return referenceSeconds(first, end) / problem_.devices[size_t(device)].speed
           + communicationSeconds(problem_, first, device);
}

} // namespace lpm
