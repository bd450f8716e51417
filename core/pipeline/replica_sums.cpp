// A dp replica's part of a run (StageWorker, stage_worker.h): the
// all-reduce that adds the replicas' gradients in replica order, each
// replica's update of its share of the trainer's weights, and the batch-norm
// statistics each replica's forwards added, replayed in micro-batch order.
#include <algorithm>

#include "pipeline/rank_exchange.h"
#include "pipeline/stage_copy.h"
#include "pipeline/stage_worker.h"
#include "tensor/error.h"

namespace lpm::pipeline_detail {

using Barrier = RunControl::Barrier;

std::vector<float> StageWorker::hostBufferCopy() const
{
    std::vector<float> copy(static_cast<size_t>(bufferCount_));
    space_.copyToHost(copy.data(), store_.buffers() + bufferOffset_, int64_t(sizeof(float)) * bufferCount_);
    return copy;
}

void StageWorker::publishStatisticUpdate(const Action& action, const std::vector<float>& before)
{
    std::vector<float> update = hostBufferCopy();
    for (size_t i = 0; i < update.size(); ++i)
        update[i] -= (1.0f - bufferMomenta_[i]) * before[i];
    if (run_.ranks != nullptr && index_ != 0) { // (replica 0, which replays them, is rank 0)
        sendStatisticUpdate(*run_.ranks, action.miniBatch, action.microBatch, update);
        return;
    }
    const std::lock_guard<std::mutex> lock(run_.control.mutex());
    run_.statisticUpdates[action.miniBatch][action.microBatch] = std::move(update);
}

void StageWorker::replayStatisticUpdates(int miniBatch, std::vector<float> statistics)
{
    if (run_.ranks != nullptr) // the other replicas' come from their ranks
        receiveStatisticUpdates(*run_.ranks, miniBatch, setup_.microBatches, run_,
                                [this] { return run_.control.aborted(); });
    std::map<int, std::vector<float>> updates;
    {
        const std::lock_guard<std::mutex> lock(run_.control.mutex());
        updates = std::move(run_.statisticUpdates[miniBatch]);
        run_.statisticUpdates.erase(miniBatch);
    }
    for (const auto& [microBatch, update] : updates)
        for (size_t i = 0; i < statistics.size(); ++i)
            statistics[i] = (1.0f - bufferMomenta_[i]) * statistics[i] + update[i];
    space_.copyFromHost(store_.buffers() + bufferOffset_, statistics.data(), int64_t(sizeof(float)) * bufferCount_);
    if (!space_.isHost())
        backend_.synchronize(); // the other replicas copy them next
}

std::pair<int64_t, int64_t> StageWorker::replicaShare() const
{
    const int64_t replicas = int64_t(run_.replicas.size());
    const int64_t count = run_.replicas[0]->parameterCount();
    return {count * index_ / replicas, count * (index_ + 1) / replicas};
}

void StageWorker::allReduce(const Action& action)
{
    if (!run_.control.arriveAndWait(action.miniBatch, Barrier::BackwardsDone))
        return;                              // a stop cancelled the mini-batch
    const ActionStart start = beginAction(); // the timeline shows the summing, not the waits
    if (run_.collective != nullptr) {        // replicas that cannot read each other's memory
        run_.collective->allReduceSum(index_, store_.gradients(), store_.parameterCount());
        record(action, start); // (waits for this replica's stream: its sum is complete)
        return;
    }
    const auto [begin, end] = replicaShare();
    float* sum = run_.replicas[0]->gradients() + begin;
    for (size_t r = 1; r < run_.replicas.size(); ++r) // (a GPU's replicas share its memory)
        backend_.addInPlace(end - begin, run_.replicas[r]->gradients() + begin, sum);
    record(action, start); // (waits for this stage's stream: the sum is complete)
    run_.control.arriveAndWait(action.miniBatch, Barrier::GradientsSummed); // (no stop can come between)
}

void StageWorker::updateReplica(const Action& action)
{
    if (!run_.control.claimUpdate(action.miniBatch))
        return;                          // a stop cancelled it (the other replicas' barriers wake too)
    std::vector<float> statisticsBefore; // (replica 0 always forwards micro-batch 0, so it has them)
    if (const auto before = bufferSnapshots_.find(action.miniBatch); before != bufferSnapshots_.end()) {
        statisticsBefore = std::move(before->second);
        bufferSnapshots_.erase(before);
    }
    ActionStart start = beginAction();
    if (index_ == 0 && bufferCount_ > 0) // (every replica's forwards are done: BackwardsDone)
        replayStatisticUpdates(action.miniBatch, std::move(statisticsBefore));
    if (run_.collective != nullptr) {
        // Every replica holds the sum: replica 0 (the trainer's store and
        // optimizer) updates, and its weights and batch-norm statistics
        // are broadcast to the others.
        if (index_ == 0) {
            if (optimizer_.clipGradNorm() > 0.0f) { // (every unit's summed gradients are here)
                backend_.synchronize();
                Optimizer::scaleGradients(backend_, store_, 0, store_.parameterCount(),
                                          optimizer_.clippingScaleOf(store_));
            }
            optimizer_.updateRange(backend_, store_, 0, store_.parameterCount(),
                                   setup_.optimizerStepBase + action.miniBatch + 1);
        }
        store_.zeroGradients(0, store_.parameterCount(), backend_);
        run_.collective->broadcastFromFirst(index_, store_.values(), store_.parameterCount());
        if (store_.bufferCount() > 0)
            run_.collective->broadcastFromFirst(index_, store_.buffers(), store_.bufferCount());
        record(action, start); // (its stream is done: the next forward reads the new weights)
        if (index_ == 0)
            snapshotSlice(action.miniBatch); // the trainer's weights and replica 0's statistics
        markUpdated(action.miniBatch);
        if (run_.ranks != nullptr && index_ != 0)
            sendStepResult(*run_.ranks, action.miniBatch, run_);
        return;
    }
    const auto [begin, end] = replicaShare();
    ParameterStore& trainer = *run_.replicas[0];
    if (optimizer_.clipGradNorm() > 0.0f) {
        // Every replica reads the whole sum and gets the same factor; none
        // scales its share before all have read it.
        const float scale = optimizer_.clippingScaleOf(trainer);
        run_.control.arriveAndWait(action.miniBatch, Barrier::NormsTaken); // (the update is claimed: no stop)
        Optimizer::scaleGradients(backend_, trainer, begin, end - begin, scale);
    }
    optimizer_.updateRange(backend_, trainer, begin, end - begin, setup_.optimizerStepBase + action.miniBatch + 1);
    if (index_ != 0)
        store_.zeroGradients(0, store_.parameterCount(), backend_); // the sum has read them
    record(action, start);
    run_.control.arriveAndWait(action.miniBatch, Barrier::SharesUpdated);
    if (index_ == 0) {
        store_.zeroGradients(0, store_.parameterCount(), backend_);
        if (!space_.isHost())
            backend_.synchronize(); // before Barrier::Flushed lets the next mini-batch begin
        // Every share is updated, and replica 0's next forward waits for Barrier::Flushed.
        snapshotSlice(action.miniBatch);
    } else {
        start = beginAction();
        copyStore(backend_, trainer, store_);
        record(action, start);
    }
    // Replica 0's next forward changes its batch-norm statistics: not before
    // every copy is done. (dp has no Flush, so that barrier is free.)
    run_.control.arriveAndWait(action.miniBatch, Barrier::Flushed);
    markUpdated(action.miniBatch);
}

} // namespace lpm::pipeline_detail
