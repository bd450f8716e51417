#include "plan/lpm_partitioner.h"

#include <algorithm>
#include <limits>
#include <tuple>

namespace lpm {

namespace {

constexpr int kRefineBand = 8; // units each boundary may move in one joint step
constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Objective of a cut, compared lexicographically (smaller is better).
struct Objective {
    int64_t bytesOver = 0;
    double bottleneck = 0.0;
    double spread = 0.0; // Σ stage seconds²

    bool operator<(const Objective& other) const
    {
        return std::tie(bytesOver, bottleneck, spread) < std::tie(other.bytesOver, other.bottleneck, other.spread);
    }
};

// Exclusive ends of the stages: stage k holds units [ends[k−1], ends[k]), on device k.
using Ends = std::vector<int>;

class LpmSearch {
public:
    explicit LpmSearch(const PartitionProblem& problem) : problem_(problem), costs_(problem)
    {
        for (const PlanLink& link : problem.links) {
            meanBandwidth_ += link.bandwidthBytesPerSecond / double(problem.links.size());
            meanLatency_ += link.latencySeconds / double(problem.links.size());
        }
    }

    // Steps 1 and 2: one partition per unit, merged down to `count` partitions.
    Ends mergeLayerWise(int count) const
    {
        Ends ends;
        for (int u = 1; u <= problem_.unitCount(); ++u)
            ends.push_back(u);
        while (int(ends.size()) > count) {
            size_t bestPair = 0;
            double bestCost = kInfinity;
            int64_t bestBytes = -1;
            for (size_t k = 0; k + 1 < ends.size(); ++k) {
                const double cost = referenceCost(k == 0 ? 0 : ends[k - 1], ends[k + 1]);
                const int64_t bytes = problem_.outputBytes[size_t(ends[k] - 1)];
                if (cost < bestCost || (cost == bestCost && bytes > bestBytes)) {
                    bestPair = k;
                    bestCost = cost;
                    bestBytes = bytes;
                }
            }
            ends.erase(ends.begin() + std::ptrdiff_t(bestPair)); // joins stages k and k+1
        }
        return ends;
    }

    // Step 4: single-unit boundary moves, then joint moves within the band.
    void refine(Ends& ends) const
    {
        Objective current = evaluate(ends);
        while (true) {
            Objective best = current;
            size_t bestBoundary = 0;
            int bestShift = 0;
            for (size_t k = 0; k + 1 < ends.size(); ++k)
                for (int shift : {-1, 1}) {
                    const int moved = ends[k] + shift;
                    if (moved <= (k == 0 ? 0 : ends[k - 1]) || moved >= ends[k + 1])
                        continue; // stages stay non-empty
                    ends[k] = moved;
                    const Objective candidate = evaluate(ends);
                    ends[k] = moved - shift;
                    if (candidate < best) {
                        best = candidate;
                        bestBoundary = k;
                        bestShift = shift;
                    }
                }
            if (bestShift != 0) {
                ends[bestBoundary] += bestShift;
                current = best;
            } else if (current.bytesOver == 0 && bestCutInBand(ends, current.bottleneck)) {
                current = evaluate(ends);
            } else {
                return;
            }
        }
    }

    // Step 5: merges the adjacent pair whose merge gives the lowest objective.
    Ends mergeOnce(const Ends& ends) const
    {
        Ends best;
        Objective bestObjective;
        for (size_t k = 0; k + 1 < ends.size(); ++k) {
            Ends merged = ends;
            merged.erase(merged.begin() + std::ptrdiff_t(k));
            const Objective objective = evaluate(merged);
            if (best.empty() || objective < bestObjective) {
                best = std::move(merged);
                bestObjective = objective;
            }
        }
        return best;
    }

    Objective evaluate(const Ends& ends) const
    {
        Objective objective;
        for (size_t k = 0, first = 0; k < ends.size(); first = size_t(ends[k]), ++k) {
            const double time = costs_.seconds(int(first), ends[k], int(k));
            objective.bytesOver +=
                std::max<int64_t>(0, costs_.bytes(int(first), ends[k]) - problem_.devices[k].memoryBytes);
            objective.bottleneck = std::max(objective.bottleneck, time);
            objective.spread += time * time;
        }
        return objective;
    }

private:
    // Compute of units [first, end) on the reference device plus their input
    // transfer over the mean link.
    double referenceCost(int first, int end) const
    {
        double cost = costs_.referenceSeconds(first, end);
        if (first > 0 && meanBandwidth_ > 0.0)
            cost += 2.0 * (meanLatency_ + double(problem_.outputBytes[size_t(first - 1)]) / meanBandwidth_);
        return cost;
    }

    // The best cut, memory honoured, whose boundary k lies within ±kRefineBand
    // of ends[k] (the last stays at n). Updates `ends` and returns true when its
    // bottleneck is below `bottleneck`.
    bool bestCutInBand(Ends& ends, double bottleneck) const
    {
        const int n = problem_.unitCount();
        const size_t stages = ends.size();
        std::vector<std::vector<int>> positions(stages);
        for (size_t k = 0; k + 1 < stages; ++k)
            for (int b = std::max(1, ends[k] - kRefineBand); b <= std::min(n - 1, ends[k] + kRefineBand); ++b)
                positions[k].push_back(b);
        positions[stages - 1] = {n};
        // best[k][j]: lowest bottleneck of stages 0..k with stage k ending at positions[k][j].
        std::vector<std::vector<double>> best(stages);
        std::vector<std::vector<int>> previous(stages);
        for (size_t k = 0; k < stages; ++k) {
            best[k].assign(positions[k].size(), kInfinity);
            previous[k].assign(positions[k].size(), -1);
            for (size_t j = 0; j < positions[k].size(); ++j) {
                const int end = positions[k][j];
                if (k == 0) {
                    best[k][j] = costs_.fits(0, end, 0) ? costs_.seconds(0, end, 0) : kInfinity;
                    continue;
                }
                for (size_t i = 0; i < positions[k - 1].size(); ++i) {
                    const int start = positions[k - 1][i];
                    if (start >= end || best[k - 1][i] == kInfinity || !costs_.fits(start, end, int(k)))
                        continue;
                    const double candidate = std::max(best[k - 1][i], costs_.seconds(start, end, int(k)));
                    if (candidate < best[k][j]) {
                        best[k][j] = candidate;
                        previous[k][j] = int(i);
                    }
                }
            }
        }
        if (!(best[stages - 1][0] < bottleneck))
            return false;
        for (size_t k = stages, j = 0; k-- > 0;) {
            ends[k] = positions[k][j];
            if (k > 0)
                j = size_t(previous[k][j]);
        }
        return true;
    }

    const PartitionProblem& problem_;
    StageCosts costs_;
    double meanBandwidth_ = 0.0, meanLatency_ = 0.0;
};

} // namespace

Partition partitionLpm(const PartitionProblem& problem)
{
    validatePartitionProblem(problem);
    const LpmSearch search(problem);
    Ends ends = search.mergeLayerWise(std::min(problem.deviceCount(), problem.unitCount())); // 1–3
    search.refine(ends);                                                                     // 4
    // Plans within memory compare by the predicted iteration time when the
    // problem offers one, else by the cost model's objective. The candidate
    // has fewer stages than the incumbent, so it wins a tie in time: the
    // same iteration on fewer devices (links the schedule hides, a stage
    // that dominates) leaves the rest free.
    auto better = [&](const Ends& candidate, const Objective& objective, const Ends& incumbent,
                      const Objective& incumbentObjective) {
        if (!problem.iterationSeconds || objective.bytesOver > 0 || incumbentObjective.bytesOver > 0)
            return objective < incumbentObjective;
        return problem.iterationSeconds(partitionFromEnds(candidate))
               <= problem.iterationSeconds(partitionFromEnds(incumbent));
    };
    Ends best = ends;
    Objective bestObjective = search.evaluate(best);
    // 5: fewer stages, while one of the next two stage counts still improves.
    for (int worseInARow = 0; ends.size() > 1 && worseInARow < 2;) {
        ends = search.mergeOnce(ends);
        search.refine(ends);
        const Objective objective = search.evaluate(ends);
        if (better(ends, objective, best, bestObjective)) {
            best = ends;
            bestObjective = objective;
            worseInARow = 0;
        } else {
            ++worseInARow;
        }
    }
    const Partition partition = partitionFromEnds(best);
    requireFitsInMemory(problem, partition, "lpm");
    return partition;
}

} // namespace lpm
