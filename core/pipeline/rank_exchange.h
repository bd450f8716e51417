// After a pipelined run across ranks (PipelineExecutor::setRanks): every rank
// hands every other what its stages made, through one all-gather in rank
// order: their slices of the weights, batch-norm buffers and optimizer state
// (so that every rank's store is whole again, as after a run in one
// process), the mini-batches' losses and counts (from the rank that plays
// the last stage) and its timeline. Rank 0 can then report, evaluate, save
// and digest the whole model. Internal to the executor.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "dist/rank_channel.h"
#include "nn/parameter_store.h"
#include "optim/optimizer.h"
#include "pipeline/shared_run.h"
#include "plan/partition_problem.h"
#include "schedule/timeline.h"

namespace lpm::pipeline_detail {

// Rank 0's progress while a run goes on: the last stage's rank sends each
// mini-batch's result (its counts and its micro-batches' losses) to rank 0
// once it has updated it, under a tag of their own, and rank 0 receives
// them in order, every one of them (those it has not waited for while the
// run went on, after it); a receive returns the mini-batch received, or
// nothing when `giveUp` said so first.
constexpr int kStepResultTag = 32767; // (the highest tag every MPI offers; stages' tags are below)
void sendStepResult(RankChannel& channel, int miniBatch, SharedRun& shared);
std::optional<int> receiveStepResult(RankChannel& channel, int fromRank, SharedRun& shared,
                                     const std::function<bool()>& giveUp);

// The run's start on every rank's clock: after a barrier, each rank's own
// `mine`, except that ranks whose steady clock is rank 0's (the same
// kernel: Linux's boot_id) take rank 0's start, so that their timelines
// agree exactly; the others agree to the barrier's skew. A collective.
std::chrono::steady_clock::time_point commonRunStart(RankChannel& channel, std::chrono::steady_clock::time_point mine);

// `local[s]`: this rank played stage s. `timeline` holds this rank's events
// and transfers; the other ranks' are added to it.
void exchangeAcrossRanks(RankChannel& channel, const Partition& stages, const std::vector<bool>& local,
                         ParameterStore& store, Optimizer& optimizer, SharedRun& shared, Timeline& timeline);

} // namespace lpm::pipeline_detail
