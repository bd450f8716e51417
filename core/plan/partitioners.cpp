#include "plan/partitioners.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "plan/lpm_partitioner.h"
#include "tensor/error.h"

namespace lpm {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Minimal-bottleneck cut into 1..p stages; with `honourMemory`, stages that do
// not fit their device are excluded. Returns an empty partition when none fits.
Partition optimalCut(const PartitionProblem& problem, bool honourMemory)
{
    const int n = problem.unitCount();
    const int p = std::min(problem.deviceCount(), n);
    // best[k][j]: smallest bottleneck of units [0, j) on devices 0..k−1, one stage each.
    std::vector<std::vector<double>> best(size_t(p) + 1, std::vector<double>(size_t(n) + 1, kInfinity));
    std::vector<std::vector<int>> cut(size_t(p) + 1, std::vector<int>(size_t(n) + 1, -1));
    const StageCosts costs(problem);
    auto stage = [&](int first, int end, int device) {
        return honourMemory && !costs.fits(first, end, device) ? kInfinity : costs.seconds(first, end, device);
    };
    for (int j = 1; j <= n; ++j)
        best[1][size_t(j)] = stage(0, j, 0);
    for (int k = 2; k <= p; ++k) {
        const PlanDevice& device = problem.devices[size_t(k - 1)];
        for (int j = k; j <= n; ++j) {
            double& bestHere = best[size_t(k)][size_t(j)];
            // The last stage [i, j) grows as i falls; its compute time and memory only
            // grow with it, so once either alone reaches the best so far, no smaller i
            // can do better (an exact cut-off, not a heuristic).
            for (int i = j - 1; i >= k - 1; --i) {
                if (costs.referenceSeconds(i, j) / device.speed >= bestHere
                    || (honourMemory && !costs.fits(i, j, k - 1)))
                    break;
                const double candidate = std::max(best[size_t(k - 1)][size_t(i)], stage(i, j, k - 1));
                if (candidate < bestHere) {
                    bestHere = candidate;
                    cut[size_t(k)][size_t(j)] = i;
                }
            }
        }
    }
    // Fewest stages among the best: less communication and memory for the same bottleneck.
    int stages = 0;
    for (int k = 1; k <= p; ++k)
        if (best[size_t(k)][size_t(n)] < (stages == 0 ? kInfinity : best[size_t(stages)][size_t(n)]))
            stages = k;
    if (stages == 0)
        return {};
    std::vector<int> ends(static_cast<size_t>(stages));
    for (int k = stages, j = n; k >= 1; --k) {
        ends[size_t(k - 1)] = j;
        j = k > 1 ? cut[size_t(k)][size_t(j)] : 0;
    }
    return partitionFromEnds(ends);
}

} // namespace

Partition partitionUniform(const PartitionProblem& problem)
{
    validatePartitionProblem(problem);
    const int n = problem.unitCount(), p = std::min(problem.deviceCount(), n);
    std::vector<int> ends;
    for (int k = 0, end = 0; k < p; ++k) {
        end += n / p + (k < n % p ? 1 : 0);
        ends.push_back(end);
    }
    Partition partition = partitionFromEnds(ends);
    requireFitsInMemory(problem, partition, "uniform");
    return partition;
}

Partition partitionBalanced(const PartitionProblem& problem)
{
    validatePartitionProblem(problem);
    const int n = problem.unitCount(), p = std::min(problem.deviceCount(), n);
    const StageCosts costs(problem);
    double speedSum = 0.0;
    for (int k = 0; k < p; ++k)
        speedSum += problem.devices[size_t(k)].speed;
    std::vector<int> ends;
    double share = 0.0;
    int start = 0;
    for (int k = 0; k < p - 1; ++k) {
        share += costs.referenceSeconds(0, n) * problem.devices[size_t(k)].speed / speedSum;
        // The end closest to this device's cumulative share, leaving a unit per later stage.
        int chosen = start + 1;
        for (int end = start + 1; end <= n - (p - k - 1); ++end)
            if (std::abs(costs.referenceSeconds(0, end) - share) < std::abs(costs.referenceSeconds(0, chosen) - share))
                chosen = end;
        ends.push_back(chosen);
        start = chosen;
    }
    ends.push_back(n);
    Partition partition = partitionFromEnds(ends);
    requireFitsInMemory(problem, partition, "balanced");
    return partition;
}

Partition partitionMinimalBottleneck(const PartitionProblem& problem, bool honourMemory)
{
    validatePartitionProblem(problem);
    return optimalCut(problem, honourMemory);
}

Partition partitionOptimal(const PartitionProblem& problem)
{
    validatePartitionProblem(problem);
    Partition partition = optimalCut(problem, true);
    if (partition.empty()) {
        // Nothing fits: name the overflowing stage of the best plan that ignores memory.
        requireFitsInMemory(problem, optimalCut(problem, false), "optimal");
        throw InvalidArgument("optimal partition: no plan fits in memory"); // not reached
    }
    return partition;
}

const std::vector<std::string>& partitionerNames()
{
    static const std::vector<std::string> names = {"lpm", "optimal", "balanced", "uniform"};
    return names;
}

Partition planPartition(const std::string& partitioner, const PartitionProblem& problem)
{
    if (partitioner == "uniform")
        return partitionUniform(problem);
    if (partitioner == "balanced")
        return partitionBalanced(problem);
    if (partitioner == "optimal")
        return partitionOptimal(problem);
    if (partitioner == "lpm")
        return partitionLpm(problem);
    throw InvalidArgument("unknown partitioner '" + partitioner + "' (known: lpm, optimal, balanced, uniform)");
}

} // namespace lpm
