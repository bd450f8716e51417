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

// Rank 0's progress while a run goes on. The ranks that compute losses (the
// last stage's; under dp every replica but rank 0) send their part of each
// mini-batch's result (counts, and the losses of the micro-batches they
// computed) to rank 0 once they have updated it, under a tag of their own.
// Rank 0 receives every one, in order, and adds them to its own part:
// receiveStepResults returns the mini-batch's whole result, or nothing when
// `giveUp` said so first. (Each rank's SharedRun::results keep its own part
// until the exchange after the run adds the others'.)
constexpr int kStepResultTag = 32767; // (the highest tag every MPI offers; stages' tags are below)
constexpr int kStatisticsTag = 32766;
void sendStepResult(RankChannel& channel, int miniBatch, SharedRun& shared);
std::optional<StepResult> receiveStepResults(RankChannel& channel, const std::vector<int>& fromRanks, int miniBatch,
                                             SharedRun& shared, const std::function<bool()>& giveUp);

// dp across ranks: what a replica's forward of a micro-batch added to its
// batch-norm statistics (SharedRun::statisticUpdates) goes to rank 0, which
// replays them; receiveStatisticUpdates puts every other rank's for
// mini-batch `miniBatch` (replica r computes micro-batches r, r + p, ...)
// into shared.statisticUpdates.
void sendStatisticUpdate(RankChannel& channel, int miniBatch, int microBatch, const std::vector<float>& update);
void receiveStatisticUpdates(RankChannel& channel, int miniBatch, int microBatches, SharedRun& shared,
                             const std::function<bool()>& giveUp);

// Gradient clipping across ranks (one stage per rank): each stage sends
// every other rank its units' Σ g² for mini-batch `miniBatch` (units from
// `firstUnit` on) and receives theirs; returns every unit's, by unit, as
// one process's stages would share them (StageWorker::agreedClippingScale).
// Throws RunAborted when `giveUp` said so first.
constexpr int kGradientSquaresTag = 32765;
std::vector<double> exchangeUnitSquares(RankChannel& channel, int miniBatch, int firstUnit,
                                        const std::vector<double>& mine, int unitCount,
                                        const std::function<bool()>& giveUp);

// A stop across ranks (RunControl::stopAtStarted): rank 0 decides the last
// mini-batch and sends it to every other rank under kRunStartStopTag, with
// the run's first step (so that a message of an earlier run is told apart).
// Under dp rank 0 also announces each mini-batch its replica begins, and
// the other replicas begin one only once it is announced, so that none is
// past the point where rank 0 stops. (In a pipeline only rank 0's first
// stage takes samples; the other ranks' stages follow its messages.)
constexpr int kRunStartStopTag = 32764;
void sendRunStop(RankChannel& channel, int64_t firstStep, int lastMiniBatch);
void announceMiniBatchStart(RankChannel& channel, int64_t firstStep, int miniBatch);
// On a rank other than 0: rank 0's stop of this run, if it has come.
std::optional<int> pollRunStop(RankChannel& channel, int64_t firstStep);
// On a dp replica other than rank 0's, before its first forward of
// `miniBatch`: waits until rank 0 began it (true), or stopped the run before
// it (false, after control.stopAt). Throws RunAborted when the run is
// aborted meanwhile.
bool awaitMiniBatchStart(RankChannel& channel, int64_t firstStep, int miniBatch, RunControl& control);

// The run's start on every rank's clock: after a barrier, each rank's own
// `mine`, except that ranks whose steady clock is rank 0's (the same
// kernel: Linux's boot_id) take rank 0's start, so that their timelines
// agree exactly; the others agree to the barrier's skew. A collective.
std::chrono::steady_clock::time_point commonRunStart(RankChannel& channel, std::chrono::steady_clock::time_point mine);

// `local[s]`: this rank played stage s (`replicated`: dp, whose replicas
// all hold rank 0's weights after each update: only rank 0's are sent, with
// its optimizer state). `timeline` holds this rank's events and transfers;
// the other ranks' are added to it, and their parts of the results to its.
void exchangeAcrossRanks(RankChannel& channel, const Partition& stages, const std::vector<bool>& local, bool replicated,
                         ParameterStore& store, Optimizer& optimizer, SharedRun& shared, Timeline& timeline);

} // namespace lpm::pipeline_detail
