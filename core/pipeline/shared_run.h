// What the workers of one pipeline run share besides the run's control
// (run_control.h) and its transport: the per-stage update counts, the
// mini-batches' results and losses, gradient clipping's sums of squares, the
// dp replicas' stores and batch-norm statistics, the batch that stage 0 (or
// every dp replica) reads, and the weight snapshots taken while training.
// Internal to the executor (executor.cpp, stage_worker.cpp).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "backend/replica_collective.h"
#include "pipeline/executor.h"
#include "pipeline/in_process_transport.h"
#include "pipeline/run_control.h"

namespace lpm::pipeline_detail {

using Clock = std::chrono::steady_clock;

// What the workers of one run share besides the control and the transport.
struct SharedRun {
    // `workers` threads play the `stages` stages' actions (interleaved: several stages each).
    // `makeTransport` empty: an InProcessTransport.
    SharedRun(int stages, int workers, int miniBatches, int microBatches, int linkCapacity,
              std::chrono::microseconds spin, const PipelineExecutor::TransportFactory& makeTransport);

    RunControl control;
    std::unique_ptr<Transport> transport;
    Clock::time_point start = Clock::now();
    std::vector<int> updated; // per stage: mini-batches updated so far (guarded by control's mutex)
    int workersDone = 0;      // threads whose list is played (guarded by control's mutex)
    // [mini-batch]: correct and samples, added to (under the mutex) by the
    // stages that compute the loss; lossSum stays 0 (see finishedStep).
    std::vector<StepResult> results;
    // [mini-batch][micro-batch]: each loss sum, so that a mini-batch's loss is
    // added up in micro-batch order whichever dp replica finished first.
    std::vector<std::vector<double>> microBatchLosses;

    // The result of a mini-batch every stage has finished, its loss summed in
    // micro-batch order.
    StepResult finishedStep(int miniBatch) const
    {
        return combined(results[size_t(miniBatch)], microBatchLosses[size_t(miniBatch)]);
    }
    // `counts` with the losses added up in micro-batch order.
    static StepResult combined(StepResult counts, const std::vector<double>& losses)
    {
        for (double loss : losses)
            counts.lossSum += loss;
        return counts;
    }
    // Gradient clipping: [mini-batch] → each unit's Σ g², filled in by the
    // stages that hold the units, and how many stages have filled theirs in
    // (guarded by control's mutex).
    std::map<int, std::vector<double>> unitSquares;
    std::map<int, int> squaresPublished;
    int stageCount = 0;

    // Across ranks (PipelineExecutor::setRanks): the job's channel, over
    // which the last stage also sends each mini-batch's result to rank 0
    // as it updates it (rank_exchange.h), for rank 0's progress.
    RankChannel* ranks = nullptr;

    std::vector<ParameterStore*> replicas;   // dp: every replica's store, replica 0's the trainer's
    ReplicaCollective* collective = nullptr; // dp replicas that cannot read each other's memory
    // dp: what each replica's forward of a micro-batch added to its batch-norm
    // statistics, [mini-batch][micro-batch] → after − (1 − m)·before per
    // buffer float (BufferSlot::averagingMomentum m). Replica 0 replays them in
    // micro-batch order at the update, as sequential training applies them
    // (guarded by control's mutex).
    std::map<int, std::map<int, std::vector<float>>> statisticUpdates;

    // The batch of a mini-batch, fetched once for all the stages that read it
    // (stage 0, or every dp replica); batchAt is only ever called under the lock.
    std::shared_ptr<const Batch> batch(int miniBatch, const std::function<Batch(int64_t)>& batchAt, int64_t step);

    double now() const { return std::chrono::duration<double>(Clock::now() - start).count(); }

    // Snapshots (SnapshotRequest). Each stage that copies a slice (every
    // pipeline stage; dp replica 0 alone, for the whole model) copies it into
    // a vector of its own and hands it over here; the calling thread puts
    // the slices together once all are in.
    const SnapshotRequest* snapshotRequest = nullptr;
    int snapshotContributors = 0; // stages that copy a slice
    // [stage]: where its slice begins in the trainer's store (parameters, buffers).
    std::vector<std::pair<int64_t, int64_t>> snapshotOffsets;
    int64_t parameterCount = 0, bufferCount = 0; // the trainer's store's

    // Whether mini-batch `miniBatch` (global step `step`) is snapshot: asked
    // of the request once, by the first stage that updated it.
    bool snapshotDue(int miniBatch, int64_t step);

    void addSnapshotSlice(int miniBatch, int stage, std::vector<float> values, std::vector<float> buffers);

    // The calling thread, once every stage has updated `miniBatch`: its
    // snapshot, if it was due. A missing slice then is a bug, not a race.
    std::optional<WeightsSnapshot> takeSnapshot(int miniBatch, int64_t step);

private:
    struct PendingSnapshot {
        std::vector<std::vector<float>> values, buffers; // [stage]: its slice
        int contributed = 0;
    };
    std::vector<signed char> snapshotDue_;            // [mini-batch]: -1 not asked yet, 0 no, 1 yes
    std::map<int, PendingSnapshot> pendingSnapshots_; // by mini-batch, until handed out

    std::mutex batchMutex_;
    std::shared_ptr<const Batch> batch_;
    int batchMiniBatch_ = -1;
};

} // namespace lpm::pipeline_detail
