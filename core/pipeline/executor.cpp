#include "pipeline/executor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <thread>
#include <utility>

#include "backend/cpu/cpu_backend.h"
#include "backend/replica_collective.h"
#include "devices/host_devices.h"
#include "nn/model_zoo.h"
#include "nn/softmax_cross_entropy.h"
#include "optim/gradient_clipping.h"
#include "pipeline/in_process_transport.h"
#include "pipeline/run_control.h"
#include "tensor/error.h"

namespace lpm {

namespace {

using Clock = std::chrono::steady_clock;
using Barrier = RunControl::Barrier;

// What the workers of one run share besides the control and the transport.
struct SharedRun {
    // `workers` threads play the `stages` stages' actions (interleaved: several stages each).
    SharedRun(int stages, int workers, int miniBatches, int microBatches, int linkCapacity,
              std::chrono::microseconds spin)
        : control(workers, miniBatches, spin), transport(control, stages, linkCapacity), updated(size_t(stages), 0),
          results(size_t(miniBatches)),
          microBatchLosses(size_t(miniBatches), std::vector<double>(size_t(microBatches), 0.0))
    {
    }

    RunControl control;
    InProcessTransport transport;
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
        StepResult result = results[size_t(miniBatch)];
        for (double loss : microBatchLosses[size_t(miniBatch)])
            result.lossSum += loss;
        return result;
    }
    // Gradient clipping: [mini-batch] → each unit's Σ g², filled in by the
    // stages that hold the units, and how many stages have filled theirs in
    // (guarded by control's mutex).
    std::map<int, std::vector<double>> unitSquares;
    std::map<int, int> squaresPublished;
    int stageCount = 0;

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
    std::shared_ptr<const Batch> batch(int miniBatch, const std::function<Batch(int64_t)>& batchAt, int64_t step)
    {
        const std::lock_guard<std::mutex> lock(batchMutex_);
        if (batchMiniBatch_ != miniBatch) {
            batch_ = std::make_shared<const Batch>(batchAt(step));
            batchMiniBatch_ = miniBatch;
        }
        return batch_;
    }

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
    bool snapshotDue(int miniBatch, int64_t step)
    {
        const std::lock_guard<std::mutex> lock(control.mutex());
        if (snapshotDue_.empty())
            snapshotDue_.assign(results.size(), -1);
        signed char& due = snapshotDue_[size_t(miniBatch)];
        if (due < 0)
            due = snapshotRequest->due(step) ? 1 : 0;
        return due == 1;
    }

    void addSnapshotSlice(int miniBatch, int stage, std::vector<float> values, std::vector<float> buffers)
    {
        const std::lock_guard<std::mutex> lock(control.mutex());
        PendingSnapshot& pending = pendingSnapshots_[miniBatch];
        pending.values.resize(size_t(snapshotContributors));
        pending.buffers.resize(size_t(snapshotContributors));
        pending.values[size_t(stage)] = std::move(values);
        pending.buffers[size_t(stage)] = std::move(buffers);
        ++pending.contributed;
    }

    // The calling thread, once every stage has updated `miniBatch`: its
    // snapshot, if it was due. A missing slice then is a bug, not a race.
    std::optional<WeightsSnapshot> takeSnapshot(int miniBatch, int64_t step)
    {
        PendingSnapshot pending;
        {
            const std::lock_guard<std::mutex> lock(control.mutex());
            auto found = pendingSnapshots_.find(miniBatch);
            if (found == pendingSnapshots_.end())
                return std::nullopt;
            pending = std::move(found->second);
            pendingSnapshots_.erase(found);
        }
        if (pending.contributed != snapshotContributors)
            throw Error("executor: the snapshot of step " + std::to_string(step + 1) + " has "
                        + std::to_string(pending.contributed) + " of " + std::to_string(snapshotContributors)
                        + " slices");
        WeightsSnapshot snapshot;
        snapshot.step = step;
        snapshot.values.resize(size_t(parameterCount));
        snapshot.buffers.resize(size_t(bufferCount));
        for (size_t s = 0; s < size_t(snapshotContributors); ++s) {
            const auto [values, buffers] = snapshotOffsets[s];
            std::copy(pending.values[s].begin(), pending.values[s].end(), snapshot.values.begin() + values);
            std::copy(pending.buffers[s].begin(), pending.buffers[s].end(), snapshot.buffers.begin() + buffers);
        }
        return snapshot;
    }

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

// Copies `from`'s weights and batch-norm buffers into `to` (a dp replica of
// the same model) on `backend`'s stream: host memory, or one GPU's that
// `backend` can read directly.
void copyStore(Backend& backend, const ParameterStore& from, ParameterStore& to)
{
    backend.copyWithin(to.values(), from.values(), int64_t(sizeof(float)) * to.parameterCount());
    backend.copyWithin(to.buffers(), from.buffers(), int64_t(sizeof(float)) * to.bufferCount());
}

// A stage's own model, weights and optimizer, for the length of one run: a
// dp replica's (weights copied from the trainer's, which it can read), or a
// pipeline stage's whose backend computes in another memory than the
// trainer's weights (a GPU other than theirs, even one with peer access, CPU
// cores for weights on a GPU, a GPU for weights on the host). A pipeline
// stage's copy holds its own units only (a store of their range, an
// optimizer of their slice): it starts from the trainer's weights, buffers
// and optimizer state, and copyBack() returns them after the run.
struct StageCopy {
    std::unique_ptr<Model> model; // null: the stage trains the trainer's
    std::unique_ptr<ParameterStore> store;
    std::unique_ptr<Optimizer> optimizer; // null for dp replicas (they update the trainer's weights)

    // `direct`: the backend can read the trainer's weights; otherwise they
    // come through host memory.
    static StageCopy replicaOf(const Model& model, const ParameterStore& store, Backend& backend, bool direct)
    {
        if (!direct)
            return ofUnits(model, store, 0, model.unitCount() - 1, backend);
        StageCopy copy;
        copy.model = std::make_unique<Model>(buildModel(model.name()));
        copy.store = std::make_unique<ParameterStore>(*copy.model);
        copy.store->placeOn(backend); // (nothing for the host)
        copyStore(backend, store, *copy.store);
        backend.synchronize();
        return copy;
    }

    static StageCopy stageOf(const Model& model, const ParameterStore& store, Optimizer& optimizer,
                             const PlannedStage& stage, Backend& backend)
    {
        StageCopy copy = ofUnits(model, store, stage.first, stage.last, backend);
        optimizer.copyStateToHost();
        copy.optimizer = optimizer.unplacedSlice(store.unitParameterOffset(stage.first), copy.store->parameterCount());
        copy.optimizer->placeOn(backend);
        return copy;
    }

    // Units [first, last] of the model with the trainer's weights and
    // buffers, through host memory, placed in `backend`'s.
    static StageCopy ofUnits(const Model& model, const ParameterStore& store, int first, int last, Backend& backend)
    {
        StageCopy copy;
        copy.model = std::make_unique<Model>(buildModel(model.name()));
        copy.store = std::make_unique<ParameterStore>(*copy.model, first, last);
        store.copyToHost(); // the host copies are current (nothing for a store on the host)
        std::copy_n(store.hostValues() + store.unitParameterOffset(first), copy.store->parameterCount(),
                    copy.store->hostValues());
        std::copy_n(store.hostBuffers() + store.unitBufferOffset(first), copy.store->bufferCount(),
                    copy.store->hostBuffers());
        copy.store->placeOn(backend);
        return copy;
    }

    // Every pipeline stage's copy gives back its own units' weights, buffers
    // and optimizer state (the other stages' slices are the trainer's own).
    static void copyBack(std::vector<StageCopy>& copies, const Partition& stages, ParameterStore& store,
                         Optimizer& optimizer)
    {
        if (std::none_of(copies.begin(), copies.end(), [](const StageCopy& copy) { return bool(copy.store); }))
            return;
        store.copyToHost();
        optimizer.copyStateToHost();
        for (size_t s = 0; s < copies.size(); ++s) {
            const StageCopy& copy = copies[s];
            if (!copy.store)
                continue;
            copy.store->copyToHost();
            copy.optimizer->copyStateToHost();
            const int64_t parameters = store.unitParameterOffset(stages[s].first);
            const int64_t buffers = store.unitBufferOffset(stages[s].first);
            std::copy_n(copy.store->hostValues(), copy.store->parameterCount(), store.hostValues() + parameters);
            std::copy_n(copy.store->hostBuffers(), copy.store->bufferCount(), store.hostBuffers() + buffers);
            for (size_t v = 0; v < optimizer.state().size(); ++v)
                std::copy(copy.optimizer->state()[v].begin(), copy.optimizer->state()[v].end(),
                          optimizer.state()[v].begin() + parameters);
        }
        store.copyFromHost();
        optimizer.copyStateFromHost();
    }
};

// A micro-batch's state on one stage, from its input's arrival to its
// gradient's departure.
struct MicroBatchState {
    Tensor input;                // the activation in (stage > 0), until F
    std::vector<int32_t> labels; // until the loss (last stage) or passed on
    int64_t sampleOffset = 0;
    int64_t miniBatchSize = 0;
    std::vector<std::unique_ptr<LayerContext>> contexts; // F (or, recomputing, R) to B
    Tensor keptInput;                                    // recomputing: a copy of F's input, until R
    int weightsVersion = 0;                              // the stage's updates done when F ran (weight stashing)
    bool awaitingBackward = false;                       // F ran, B not yet
    bool awaitingWeights = false;                        // a split backward's B ran, its W not yet
    bool gradientSent = false;                           // B's result went to the stage before
    Tensor output;                                       // F's result, until sent (not on the last stage)
    Tensor gradOutput;                                   // the gradient in (last stage: of the loss), until B
    Tensor gradInput;                                    // B's result, until sent (not on stage 0)
};

struct StageSetup {
    uint64_t seed;
    int64_t firstStep;
    int64_t optimizerStepBase;
    int microBatches;
    bool weightStash;
    const std::function<Batch(int64_t)>& batchAt;
    bool splitBackward; // B computes the input gradients, a W action later the weight gradients
    const PipelineExecutor::ActionHook& beforeAction; // may be empty
};

class StageWorker {
public:
    // A pipeline stage runs units `stage` of the trainer's model; a dp
    // replica (`replica`) runs all of them on its own model and store.
    // `optimizer` updates `store` (for dp replicas: the trainer's, replica 0's).
    StageWorker(int index, const PlannedStage& stage, int stages, bool replica, Model& model, ParameterStore& store,
                Optimizer& optimizer, const StageSetup& setup, SharedRun& run, Backend& backend)
        : index_(index), first_(stage.first), last_(stage.last), recompute_(stage.recompute), replica_(replica),
          firstStage_(replica || index == 0), lastStage_(replica || index == stages - 1), model_(model), store_(store),
          optimizer_(optimizer), setup_(setup), run_(run), backend_(backend), space_(memorySpaceOf(backend)),
          parameterOffset_(store.unitParameterOffset(stage.first)),
          parameterCount_(store.unitParameterOffset(stage.last + 1) - parameterOffset_),
          bufferOffset_(store.unitBufferOffset(stage.first)),
          bufferCount_(store.unitBufferOffset(stage.last + 1) - bufferOffset_)
    {
        if (replica_) // (a replica holds the whole model: its buffers are all of the store's)
            for (const BufferSlot* slot : store.bufferSlots())
                bufferMomenta_.insert(bufferMomenta_.end(), size_t(slot->shape.elementCount()),
                                      slot->averagingMomentum);
    }

    // Plays a worker's list: each action on its stage (stages[action.stage],
    // all on this thread); a failure aborts the run and names the stage and
    // the action.
    static void play(const StageActions& actions, const std::vector<StageWorker*>& stages, SharedRun& run)
    {
        const Action* current = nullptr;
        try {
            for (const Action& action : actions)
                stages[size_t(action.stage)]->anchorOnce(); // (once per stage)
            for (const Action& action : actions) {
                current = &action;
                stages[size_t(action.stage)]->playOne(action);
            }
        } catch (const RunAborted&) {
            // another stage failed first; its error is the one reported
        } catch (const std::exception& error) {
            const StageWorker& stage = *stages[size_t(current ? current->stage : 0)];
            run.control.fail(std::make_exception_ptr(
                Error("stage " + std::to_string(stage.index_) + " (units " + std::to_string(stage.first_) + "-"
                      + std::to_string(stage.last_) + "), " + (current ? describeAction(*current) : "start")
                      + " of step " + std::to_string(stage.setup_.firstStep + (current ? current->miniBatch : 0) + 1)
                      + ": " + error.what())));
        }
        {
            const std::lock_guard<std::mutex> lock(run.control.mutex());
            ++run.workersDone;
        }
        run.control.notifyAll();
    }

    std::vector<TimelineEvent>& events() { return events_; }

    // After a stop: the batch-norm statistics as they were before the first
    // cancelled mini-batch this stage forwarded.
    void rollBackCancelledForwards()
    {
        if (bufferSnapshots_.empty())
            return;
        const std::vector<float>& before = bufferSnapshots_.begin()->second; // the earliest
        space_.copyFromHost(store_.buffers() + bufferOffset_, before.data(), int64_t(sizeof(float) * before.size()));
        if (!space_.isHost())
            backend_.synchronize(); // the trainer's backend reads them next, on another stream
    }
    std::vector<TimelineTransfer>& transfers() { return transfers_; }

private:
    // Returns false when the action was skipped (its mini-batch is cancelled).
    bool playOne(const Action& action)
    {
        if (run_.control.cancelled(action.miniBatch))
            return false;
        if (setup_.beforeAction)
            setup_.beforeAction(index_, action);
        const int key = action.miniBatch * setup_.microBatches + action.microBatch;
        switch (action.kind) {
        case ActionKind::Forward:
            forward(action, key);
            break;
        case ActionKind::Backward:
            backward(action, key);
            break;
        case ActionKind::Update:
            replica_ ? updateReplica(action) : update(action);
            break;
        case ActionKind::SendActivation:
            send(action, key, Direction::Activation);
            break;
        case ActionKind::SendGradient:
            send(action, key, Direction::Gradient);
            break;
        case ActionKind::ReceiveActivation:
            return receive(action, key, Direction::Activation);
        case ActionKind::ReceiveGradient:
            return receive(action, key, Direction::Gradient);
        case ActionKind::Flush:
            run_.control.arriveAndWait(action.miniBatch, Barrier::Flushed);
            break;
        case ActionKind::AllReduce:
            allReduce(action);
            break;
        case ActionKind::WeightGradient:
            weightGradient(action, key);
            break;
        case ActionKind::Recompute:
            recompute(action, key);
            break;
        }
        return true;
    }

    void forward(const Action& action, int key)
    {
        MicroBatchState& state = states_[key];
        const ActionStart start = beginAction(); // the input's preparation is this stage's work too
        if (firstStage_)
            takeInputFromBatch(action, state);
        if (!bufferSnapshots_.contains(action.miniBatch)) {
            // A stop may cancel this mini-batch: keep the batch-norm statistics from before it.
            std::vector<float>& snapshot = bufferSnapshots_[action.miniBatch];
            snapshot.resize(size_t(bufferCount_));
            space_.copyToHost(snapshot.data(), store_.buffers() + bufferOffset_, int64_t(sizeof(float)) * bufferCount_);
        }
        state.weightsVersion = updatesDone_;
        state.awaitingBackward = true;
        const int64_t step = setup_.firstStep + action.miniBatch;
        if (recompute_) // (layers may write into their input: Dropout does)
            state.keptInput = state.input.clone();
        const bool replayStatistics = replica_ && bufferCount_ > 0;
        std::vector<float> statisticsBefore;
        if (replayStatistics)
            statisticsBefore = hostBufferCopy();
        Tensor output = forwardUnits(backend_, model_, first_, last_, std::move(state.input), setup_.seed, step,
                                     state.sampleOffset, state.contexts);
        if (replayStatistics)
            publishStatisticUpdate(action, statisticsBefore);
        if (recompute_)
            state.contexts.clear(); // R rebuilds them
        if (lastStage_) {
            LossResult loss = softmaxCrossEntropy(backend_, output, state.labels, state.miniBatchSize);
            if (!std::isfinite(loss.lossSum))
                throw Error("training diverged: the loss is not finite at step " + std::to_string(step + 1)
                            + " (try a smaller --lr)");
            {
                const std::lock_guard<std::mutex> lock(run_.control.mutex());
                StepResult& result = run_.results[size_t(action.miniBatch)];
                run_.microBatchLosses[size_t(action.miniBatch)][size_t(action.microBatch)] = loss.lossSum;
                result.correct += loss.correct;
                result.samples += output.shape()[0];
                result.predictions += loss.predictions;
            }
            state.gradOutput = std::move(loss.gradLogits);
        } else {
            state.output = std::move(output);
        }
        record(action, start);
    }

    void takeInputFromBatch(const Action& action, MicroBatchState& state)
    {
        if (batchMiniBatch_ != action.miniBatch) {
            batch_ = run_.batch(action.miniBatch, setup_.batchAt, setup_.firstStep + action.miniBatch);
            batchMiniBatch_ = action.miniBatch;
            offsets_.assign(1, 0);
            for (int64_t size : microBatchSizes(batch_->images.shape()[0], setup_.microBatches))
                offsets_.push_back(offsets_.back() + size);
        }
        const int64_t offset = offsets_[size_t(action.microBatch)];
        const int64_t size = offsets_[size_t(action.microBatch) + 1] - offset;
        state.input = sliceRows(batch_->images, offset, size);
        if (!space_.isHost())
            state.input = state.input.copyTo(space_);
        const std::span<const int32_t> labels = batch_->labelsOf(offset, size);
        state.labels.assign(labels.begin(), labels.end());
        state.sampleOffset = offset;
        state.miniBatchSize = batch_->images.shape()[0];
    }

    // Runs `pass` with the weights the micro-batch's forward used. Weight
    // stashing: a micro-batch forwarded before this stage's last update runs
    // its R and B with those, kept for it.
    template <typename Pass>
    void withForwardWeights(const MicroBatchState& state, Pass&& pass)
    {
        const bool stale = setup_.weightStash && state.weightsVersion != updatesDone_;
        if (stale)
            swapWeights(stashes_.at(state.weightsVersion));
        pass();
        if (stale)
            swapWeights(stashes_.at(state.weightsVersion));
    }

    // A recomputing stage's R: the forward again, from the kept input, to
    // rebuild the contexts its B reads (the same output, bit for bit, and no
    // running statistics updated twice).
    void recompute(const Action& action, int key)
    {
        MicroBatchState& state = states_.at(key);
        const ActionStart start = beginAction();
        withForwardWeights(state, [&] {
            forwardUnits(backend_, model_, first_, last_, std::move(state.keptInput), setup_.seed,
                         setup_.firstStep + action.miniBatch, state.sampleOffset, state.contexts, true);
        });
        record(action, start);
    }

    void backward(const Action& action, int key)
    {
        MicroBatchState& state = states_.at(key);
        const ActionStart start = beginAction();
        withForwardWeights(state, [&] {
            if (setup_.splitBackward) {
                state.gradInput =
                    backwardInputUnits(backend_, model_, first_, last_, std::move(state.gradOutput), state.contexts);
                state.awaitingWeights = true;
            } else {
                state.gradInput =
                    backwardUnits(backend_, model_, first_, last_, std::move(state.gradOutput), state.contexts);
            }
        });
        state.awaitingBackward = false;
        if (setup_.weightStash)
            dropUnusedStashes();
        record(action, start);
        if (firstStage_)
            finishIfDone(key); // nothing to send back
    }

    // A split backward's W: the parameter gradients from what its B kept.
    // Ws run in micro-batch order, so each gradient sums as sequential's does.
    void weightGradient(const Action& action, int key)
    {
        MicroBatchState& state = states_.at(key);
        const ActionStart start = beginAction();
        backwardWeightUnits(backend_, model_, first_, last_, state.contexts);
        state.awaitingWeights = false;
        record(action, start);
        finishIfDone(key);
    }

    // Forgets a micro-batch once its gradient is sent (or, on the first
    // stage, computed) and its W, if the schedule has one, has run.
    void finishIfDone(int key)
    {
        const MicroBatchState& state = states_.at(key);
        if (!state.awaitingBackward && !state.awaitingWeights && (firstStage_ || state.gradientSent))
            states_.erase(key);
    }

    int64_t weightBytes() const { return int64_t(sizeof(float)) * parameterCount_; }

    // Exchanges the stage's weights with `other` (parameterCount_ floats in
    // this stage's memory), through scratch_, on this stage's stream.
    void swapWeights(MemoryBlock& other)
    {
        float* values = store_.values() + parameterOffset_;
        if (scratch_.bytes() < weightBytes())
            scratch_ = MemoryBlock(space_, std::max<int64_t>(weightBytes(), 4));
        scratch_.copyWithin(values, weightBytes());
        space_.copyWithin(values, other.data(), weightBytes());
        other.copyWithin(scratch_.data(), weightBytes());
    }

    // Frees the stashed versions no micro-batch in flight still needs.
    void dropUnusedStashes()
    {
        for (auto stash = stashes_.begin(); stash != stashes_.end();) {
            bool needed = false;
            for (const auto& [key, state] : states_)
                needed = needed || (state.awaitingBackward && state.weightsVersion == stash->first);
            stash = needed ? std::next(stash) : stashes_.erase(stash);
        }
    }

    void update(const Action& action)
    {
        if (!run_.control.claimUpdate(action.miniBatch))
            return; // a stop cancelled it
        bufferSnapshots_.erase(action.miniBatch);
        const ActionStart start = beginAction();
        if (setup_.weightStash)
            for (const auto& [key, state] : states_)
                if (state.awaitingBackward && state.weightsVersion == updatesDone_) {
                    // forwarded with these weights, backward still to come: keep them
                    MemoryBlock stash(space_, std::max<int64_t>(weightBytes(), 4));
                    stash.copyWithin(store_.values() + parameterOffset_, weightBytes());
                    stashes_[updatesDone_] = std::move(stash);
                    break;
                }
        if (optimizer_.clipGradNorm() > 0.0f)
            Optimizer::scaleGradients(backend_, store_, parameterOffset_, parameterCount_,
                                      agreedClippingScale(action.miniBatch));
        optimizer_.updateRange(backend_, store_, parameterOffset_, parameterCount_,
                               setup_.optimizerStepBase + action.miniBatch + 1);
        store_.zeroGradients(parameterOffset_, parameterCount_, backend_); // after the update, on its stream
        ++updatesDone_;
        record(action, start); // (on a device: waits for the update)
        snapshotSlice(action.miniBatch);
        markUpdated(action.miniBatch);
    }

    // Gradient clipping across stages: this stage publishes its units' Σ g²
    // for `miniBatch` and waits until every stage has published its own; then
    // each stage sums all units' in unit order, as sequential does, and gets
    // the same factor. No stage updates before all gradients of the
    // mini-batch are complete, but no stage waits for another's update
    // either: the last stage, which finishes its backwards first, waits for
    // the first stage's last backward, which in an exact schedule comes
    // before any forward of the next mini-batch reaches the last stage.
    float agreedClippingScale(int miniBatch)
    {
        backend_.synchronize(); // the gradients are complete on this stage's stream before they are read
        const std::vector<double> mine = unitGradientSquares(store_, first_, last_);
        std::unique_lock<std::mutex> lock(run_.control.mutex());
        std::vector<double>& squares = run_.unitSquares[miniBatch];
        squares.resize(size_t(model_.unitCount()), 0.0);
        std::copy(mine.begin(), mine.end(), squares.begin() + first_);
        ++run_.squaresPublished[miniBatch];
        run_.control.notifyAll();
        run_.control.wait(lock, [&] { return run_.squaresPublished[miniBatch] == run_.stageCount; });
        return clippingScale(squares, optimizer_.clipGradNorm());
    }

    // Snapshots: this stage's slice of the weights after its update of
    // `miniBatch` (finished on its stream), and of its units' buffers after
    // that mini-batch's forwards and before any later one's (lpm-async
    // forwards the next mini-batch before this update: then the buffers kept
    // for a stop's roll-back), so a snapshot holds what a run stopped after
    // its step would leave. Only when the run's SnapshotRequest wants it.
    void snapshotSlice(int miniBatch)
    {
        if (run_.snapshotRequest == nullptr || !run_.snapshotDue(miniBatch, setup_.firstStep + miniBatch))
            return;
        std::vector<float> values(static_cast<size_t>(parameterCount_));
        space_.copyToHost(values.data(), store_.values() + parameterOffset_, int64_t(sizeof(float)) * parameterCount_);
        std::vector<float> buffers;
        if (!bufferSnapshots_.empty()) { // (this mini-batch's was erased by its update)
            buffers = bufferSnapshots_.begin()->second;
        } else {
            buffers.resize(static_cast<size_t>(bufferCount_));
            space_.copyToHost(buffers.data(), store_.buffers() + bufferOffset_, int64_t(sizeof(float)) * bufferCount_);
        }
        run_.addSnapshotSlice(miniBatch, index_, std::move(values), std::move(buffers));
    }

    void markUpdated(int miniBatch)
    {
        {
            const std::lock_guard<std::mutex> lock(run_.control.mutex());
            run_.updated[size_t(index_)] = miniBatch + 1;
        }
        run_.control.notifyAll();
    }

    std::vector<float> hostBufferCopy() const
    {
        std::vector<float> copy(static_cast<size_t>(bufferCount_));
        space_.copyToHost(copy.data(), store_.buffers() + bufferOffset_, int64_t(sizeof(float)) * bufferCount_);
        return copy;
    }

    // dp: hands what this forward added to the replica's batch-norm statistics
    // to replica 0 (SharedRun::statisticUpdates).
    void publishStatisticUpdate(const Action& action, const std::vector<float>& before)
    {
        std::vector<float> update = hostBufferCopy();
        for (size_t i = 0; i < update.size(); ++i)
            update[i] -= (1.0f - bufferMomenta_[i]) * before[i];
        const std::lock_guard<std::mutex> lock(run_.control.mutex());
        run_.statisticUpdates[action.miniBatch][action.microBatch] = std::move(update);
    }

    // dp, replica 0, once every replica has forwarded `miniBatch`: sets the
    // statistics to `before` (those from before the mini-batch) with every
    // micro-batch's update applied in micro-batch order. Sequential training
    // applies the same updates in the same order; they differ from its own by
    // the rounding of the subtraction above, and through weights that differ
    // by dp's order of summing gradients.
    void replayStatisticUpdates(int miniBatch, std::vector<float> statistics)
    {
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

    // dp: replica r's share of the parameters, [first, end): the same slice
    // for the all-reduce and the update, so each replica only ever touches
    // its own slice of replica 0's gradients, weights and optimizer state.
    std::pair<int64_t, int64_t> replicaShare() const
    {
        const int64_t replicas = int64_t(run_.replicas.size());
        const int64_t count = run_.replicas[0]->parameterCount();
        return {count * index_ / replicas, count * (index_ + 1) / replicas};
    }

    // dp: replica r adds every other replica's gradients, in replica order,
    // into replica 0's for its share of the parameters; all replicas share
    // the work, and each parameter's sum has the same order whoever does it.
    void allReduce(const Action& action)
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

    // dp: each replica updates its share of the trainer's weights (replica
    // 0's; the optimizer's step is elementwise, so who updates a parameter
    // does not change its bits); the others then copy all the weights (and
    // replica 0's batch-norm statistics), so every replica starts the next
    // mini-batch from the same weights.
    void updateReplica(const Action& action)
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

    void send(const Action& action, int key, Direction direction)
    {
        MicroBatchState& state = states_.at(key);
        StageMessage message;
        message.miniBatch = action.miniBatch;
        message.microBatch = action.microBatch;
        message.sampleOffset = state.sampleOffset;
        message.miniBatchSize = state.miniBatchSize;
        if (!space_.isHost())
            backend_.synchronize(); // the tensor is complete before another stream reads it
        message.sentSeconds = run_.now();
        if (direction == Direction::Gradient) {
            message.tensor = std::move(state.gradInput);
            state.gradientSent = true;
            finishIfDone(key); // the micro-batch is done here unless its W is still to come
        } else {
            message.tensor = std::move(state.output);
            message.labels = std::move(state.labels);
        }
        run_.transport.send(index_, direction, std::move(message));
    }

    bool receive(const Action& action, int key, Direction direction)
    {
        std::optional<StageMessage> message = run_.transport.receive(index_, direction, action.miniBatch);
        if (!message)
            return false; // cancelled by a stop
        if (message->miniBatch != action.miniBatch || message->microBatch != action.microBatch)
            throw InvalidArgument("expected the " + std::string(directionName(direction)) + " of micro-batch "
                                  + std::to_string(action.microBatch) + " of mini-batch "
                                  + std::to_string(action.miniBatch) + ", got micro-batch "
                                  + std::to_string(message->microBatch) + " of mini-batch "
                                  + std::to_string(message->miniBatch));
        MicroBatchState& state = states_[key];
        if (!space_.isHost()) {
            // Into this stage's own memory, finished before the sender's block goes back to its owner.
            Tensor own = message->tensor.copyTo(space_);
            backend_.synchronize();
            message->tensor = std::move(own);
        }
        if (direction == Direction::Gradient) {
            state.gradOutput = std::move(message->tensor);
        } else {
            state.input = std::move(message->tensor);
            state.labels = std::move(message->labels);
            state.sampleOffset = message->sampleOffset;
            state.miniBatchSize = message->miniBatchSize;
        }
        // In-process, the tensor is handed over: the transfer takes no time.
        transfers_.push_back({direction == Direction::Gradient ? index_ + 1 : index_ - 1, index_, direction,
                              action.microBatch, action.miniBatch, message->sentSeconds, message->sentSeconds});
        return true;
    }

    // When an action began: the host clock, and on a device a time stamp
    // queued on the stage's stream (-1 where the backend keeps none).
    struct ActionStart {
        double hostSeconds;
        int deviceMark;
    };

    ActionStart beginAction() { return {run_.now(), !space_.isHost() ? backend_.markTime() : -1}; }

    // On a device, the stage's time stamps are placed on the run's clock
    // from one stamp taken, with the stream idle, when the stage starts.
    void anchorOnce()
    {
        if (space_.isHost() || anchorMark_ >= 0)
            return;
        backend_.forgetTimesAfter(-1);
        anchorMark_ = backend_.markTime();
        backend_.synchronize();
        anchorSeconds_ = run_.now();
    }

    void record(const Action& action, const ActionStart& start)
    {
        double begin = start.hostSeconds, end = 0.0;
        if (!space_.isHost()) {
            const int endMark = backend_.markTime();
            backend_.synchronize(); // the action's end is when its device work ends
            end = run_.now();
            if (anchorMark_ >= 0 && start.deviceMark >= 0 && endMark >= 0) { // device time
                begin = anchorSeconds_ + backend_.secondsBetween(anchorMark_, start.deviceMark);
                end = anchorSeconds_ + backend_.secondsBetween(anchorMark_, endMark);
                backend_.forgetTimesAfter(anchorMark_);
            }
        } else {
            end = run_.now();
        }
        events_.push_back({index_, action.kind, action.microBatch, action.miniBatch, begin, end});
    }

    int index_;
    int first_, last_;
    bool recompute_;  // keeps only each micro-batch's input from F to its R
    bool replica_;    // a dp replica: the whole model, its own store
    bool firstStage_; // reads its inputs from the batch
    bool lastStage_;  // computes the loss
    Model& model_;
    ParameterStore& store_;
    Optimizer& optimizer_;
    const StageSetup& setup_;
    SharedRun& run_;
    Backend& backend_;
    MemorySpace space_; // where this stage's tensors live
    int64_t parameterOffset_, parameterCount_;
    int64_t bufferOffset_, bufferCount_;
    std::vector<float> bufferMomenta_;                  // dp replicas: BufferSlot::averagingMomentum per buffer float
    std::map<int, std::vector<float>> bufferSnapshots_; // by mini-batch: buffers before its first forward here
    std::map<int, MicroBatchState> states_;             // by mini-batch · m + micro-batch
    int updatesDone_ = 0;                               // this stage's updates in this run: its weights' version
    std::map<int, MemoryBlock> stashes_; // weight stashing: earlier versions still needed (this stage's memory)
    MemoryBlock scratch_;                // weight stashing: for swapping a version in and out
    std::shared_ptr<const Batch> batch_; // first stage: the mini-batch being forwarded
    int batchMiniBatch_ = -1;
    std::vector<int64_t> offsets_; // stage 0: micro-batch offsets in batch_
    std::vector<TimelineEvent> events_;
    std::vector<TimelineTransfer> transfers_;
    int anchorMark_ = -1;        // device stages: the stamp taken at the start (anchorOnce)
    double anchorSeconds_ = 0.0; // its time on the run's clock
};

} // namespace

PipelineExecutor::PipelineExecutor(Model& model, ParameterStore& store, Optimizer& optimizer, Partition stages,
                                   std::string schedule, int64_t microBatches, uint64_t seed, bool weightStash,
                                   StageBackendFactory makeStageBackend)
    : model_(model), store_(store), optimizer_(optimizer), stages_(std::move(stages)), schedule_(std::move(schedule)),
      microBatches_(microBatches), seed_(seed), weightStash_(weightStash),
      makeStageBackend_(std::move(makeStageBackend))
{
    try {
        traits_ = scheduleTraits(schedule_);
    } catch (const InvalidArgument& error) {
        throw InvalidArgument(std::string("executor: schedule '") + schedule_ + "' cannot run: " + error.what());
    }
    if (weightStash && !traits_.allowsWeightStash())
        throw InvalidArgument("executor: weight stashing applies to lpm-async only, not " + schedule_
                              + " (whose backwards already use their forward's weights)");
    if (microBatches_ < 1)
        throw InvalidArgument("executor: micro-batches must be at least 1, got " + std::to_string(microBatches_));
    if (stages_.empty())
        throw InvalidArgument("executor: no stages");
    const bool replicas = traits_.replicated;
    int next = 0;
    for (size_t k = 0; k < stages_.size(); ++k) {
        const PlannedStage& stage = stages_[k];
        const int first = replicas ? 0 : next;
        const int last = replicas ? model.unitCount() - 1 : stage.last;
        if (stage.replicas < 1 || (replicas && stage.replicas != 1))
            throw InvalidArgument("executor: stage " + std::to_string(k) + " has " + std::to_string(stage.replicas)
                                  + " replicas; expected at least 1" + (replicas ? ", and 1 under " + schedule_ : ""));
        if (stage.first != first || stage.last != last || stage.last < stage.first || stage.last >= model.unitCount()
            || stage.device != int(k))
            throw InvalidArgument(
                "executor: stage " + std::to_string(k) + " holds units " + std::to_string(stage.first) + ".."
                + std::to_string(stage.last) + " on device " + std::to_string(stage.device)
                + (replicas
                       ? "; under " + schedule_ + " every stage holds units 0.." + std::to_string(model.unitCount() - 1)
                       : "; stages must cover units 0.." + std::to_string(model.unitCount() - 1) + " in order")
                + ", stage k on device k");
        next = stage.last + 1;
    }
    if (next != model.unitCount())
        throw InvalidArgument("executor: the stages cover units 0.." + std::to_string(next - 1) + " of "
                              + std::to_string(model.unitCount()));
    if (traits_.singleStage && stages_.size() != 1)
        throw InvalidArgument("executor: " + schedule_ + " runs one stage, got " + std::to_string(stages_.size()));
}

PipelineRun PipelineExecutor::run(const std::function<Batch(int64_t)>& batchAt, int64_t firstStep, int count,
                                  const std::atomic<bool>* stop,
                                  const std::function<void(int64_t, const StepResult&)>& onStepDone,
                                  const SnapshotRequest* snapshots)
{
    if (count < 1)
        throw InvalidArgument("executor: run at least 1 mini-batch, got " + std::to_string(count));
    const int stages = int(stages_.size());
    if (optimizer_.clipGradNorm() > 0.0f && !traits_.allowsClipping(chunks_))
        throw InvalidArgument("executor: gradient clipping (--clip-grad-norm) under " + schedule_
                              + " is not available yet: it runs under sequential, dp and every exact schedule "
                                "with one chunk per stage");
    Schedule schedule = buildSchedule(schedule_, stages, int(microBatches_), count, chunks_);
    insertRecomputation(schedule, recomputingStages(stages_));
    auto newCollective = [this](const std::vector<Backend*>& ranks) {
        return makeCollective_ ? makeCollective_(ranks) : makeNcclCollective(ranks);
    };
    // The stages' backends are made once and kept (a GPU's handles are slow
    // to create); being members, they outlive everything below that may hold
    // their tensors (messages a stop left in the transport, workers' states).
    if (stageBackends_.empty()) {
        std::vector<std::unique_ptr<Backend>> made; // kept only when every stage has one
        for (int s = 0; s < stages; ++s) {
            // A replicated stage: one CPU backend whose threads split each micro-batch's samples.
            const int replicas = stages_[size_t(s)].replicas;
            made.push_back(makeStageBackend_ ? makeStageBackend_(s) : std::make_unique<CpuBackend>(replicas));
            if (replicas > 1 && !made.back()->usesHostMemory())
                throw InvalidArgument("executor: stage " + std::to_string(s) + " has " + std::to_string(replicas)
                                      + " replicas on " + made.back()->name()
                                      + "; stages are replicated on CPU cores only (replicating a stage over GPUs "
                                        "is not available yet)");
        }
        if (traits_.replicated) {
            // Each replica's kernels read the trainer's weights and every
            // replica's gradients; where some cannot, the replicas sum and
            // share through a collective (NCCL between GPUs) instead.
            std::vector<MemorySpace> spaces = {store_.space()};
            for (const auto& replica : made)
                spaces.push_back(memorySpaceOf(*replica));
            std::string unreachable;
            for (int s = 0; s < stages && unreachable.empty(); ++s) {
                for (MemorySpace space : spaces)
                    if (unreachable.empty() && !readsMemoryOf(*made[size_t(s)], space))
                        unreachable = "dp replica " + std::to_string(s) + " computes on " + made[size_t(s)]->name()
                                      + ", which cannot read the memory of " + space.name();
            }
            if (unreachable.empty() && alwaysCollective_)
                unreachable = "dp replicas set to sum through a collective";
            if (!unreachable.empty()) {
                if (!usesMemoryOf(*made[0], store_.space())) // replica 0 trains the trainer's store itself
                    throw InvalidArgument("executor: " + unreachable
                                          + "; summing through NCCL needs the weights "
                                            "in dp replica 0's memory ("
                                          + made[0]->name() + ")");
                std::vector<Backend*> ranks;
                for (const auto& backend : made)
                    ranks.push_back(backend.get());
                try {
                    collective_ = newCollective(ranks);
                } catch (const InvalidArgument& error) {
                    throw InvalidArgument("executor: " + unreachable + ", and the replicas cannot sum through NCCL ("
                                          + error.what()
                                          + "): dp runs on CPU cores, on one GPU, on GPUs with peer "
                                            "access to each other, or on one replica per GPU with NCCL");
                }
                collectiveRanks_ = ranks;
            }
        }
        stageBackends_ = std::move(made);
    }
    if (!collectiveRanks_.empty() && !collective_) // the last one was aborted by a failed run
        collective_ = newCollective(collectiveRanks_);
    // Room for every micro-batch of a mini-batch and then some: a valid schedule never fills it.
    int threads = 0; // the workers' own, and a replicated stage's team members besides
    for (int w = 0; w < schedule.workers; ++w)
        threads += chunks_ > 1 ? 1 : stages_[size_t(w)].replicas;
    const std::chrono::microseconds spin =
        waitSpin_.value_or(threads <= usableCpuCores() ? kDefaultWaitSpin : std::chrono::microseconds(0));
    SharedRun shared(stages, schedule.workers, count, int(microBatches_), int(microBatches_) + stages + 1, spin);
    shared.stageCount = stages;
    const StageSetup setup{seed_,        firstStep, optimizer_.stepCount(), int(microBatches_),
                           weightStash_, batchAt,   traits_.splitsBackward, beforeAction_};
    // Work the placing backend queued on the weights (initialisation, zeroed
    // gradients) is finished before the stages' own streams touch them.
    store_.space().synchronize();
    // What each stage trains: the trainer's model, store and optimizer, or a
    // copy of its own (StageCopy).
    const bool dp = traits_.replicated;
    std::vector<StageCopy> copies(static_cast<size_t>(stages));
    for (int s = 0; s < stages; ++s) {
        Backend& backend = *stageBackends_[size_t(s)];
        if (dp && s > 0)
            copies[size_t(s)] = StageCopy::replicaOf(model_, store_, backend, collective_ == nullptr);
        else if (!dp && !usesMemoryOf(backend, store_.space())) // (even a peer GPU's: local reads are faster)
            copies[size_t(s)] = StageCopy::stageOf(model_, store_, optimizer_, stages_[size_t(s)], backend);
    }
    if (dp)
        for (int s = 0; s < stages; ++s)
            shared.replicas.push_back(s == 0 ? &store_ : copies[size_t(s)].store.get());
    shared.collective = collective_.get();
    if (snapshots != nullptr && snapshots->due) {
        shared.snapshotRequest = snapshots;
        shared.snapshotContributors = dp ? 1 : stages;
        for (int s = 0; s < shared.snapshotContributors; ++s)
            shared.snapshotOffsets.emplace_back(store_.unitParameterOffset(stages_[size_t(s)].first),
                                                store_.unitBufferOffset(stages_[size_t(s)].first));
        shared.parameterCount = store_.parameterCount();
        shared.bufferCount = store_.bufferCount();
    }
    std::vector<std::unique_ptr<StageWorker>> workers;
    for (int s = 0; s < stages; ++s) {
        StageCopy& copy = copies[size_t(s)];
        workers.push_back(std::make_unique<StageWorker>(
            s, stages_[size_t(s)], stages, dp, copy.model ? *copy.model : model_, copy.store ? *copy.store : store_,
            copy.optimizer ? *copy.optimizer : optimizer_, setup, shared, *stageBackends_[size_t(s)]));
    }
    std::vector<StageWorker*> stageWorkers;
    for (const auto& worker : workers)
        stageWorkers.push_back(worker.get());
    const int threadCount = schedule.workers; // one per worker list (interleaved: each plays several stages)

    PipelineRun result;
    {
        std::vector<std::jthread> threads;
        try {
            for (int w = 0; w < threadCount; ++w)
                threads.emplace_back([&, w] { StageWorker::play(schedule.actions[size_t(w)], stageWorkers, shared); });
            // Report mini-batches as every stage finishes them, until the workers are done.
            int reported = 0;
            bool stopping = false;
            for (bool finished = false; !finished;) {
                if (!stopping && stop && stop->load()) {
                    shared.control.stopSoon();
                    stopping = true;
                }
                int completed = 0;
                {
                    std::unique_lock<std::mutex> lock(shared.control.mutex());
                    auto minimum = [&] { return *std::min_element(shared.updated.begin(), shared.updated.end()); };
                    shared.control.waitFor(lock, std::chrono::milliseconds(5),
                                           [&] { return shared.workersDone == threadCount || minimum() > reported; });
                    completed = minimum();
                    finished = shared.workersDone == threadCount || shared.control.abortedLocked();
                }
                for (; reported < completed; ++reported) {
                    if (onStepDone)
                        onStepDone(firstStep + reported, shared.finishedStep(reported));
                    if (shared.snapshotRequest == nullptr)
                        continue;
                    std::optional<WeightsSnapshot> snapshot = shared.takeSnapshot(reported, firstStep + reported);
                    if (snapshot && snapshots->received)
                        snapshots->received(*snapshot);
                }
            }
        } catch (...) {
            shared.control.fail(std::current_exception()); // wakes every worker; the threads join below
        }
        // A replica waiting in a collective for one that failed is woken by
        // aborting the collective (a barrier cannot reach it there).
        if (shared.control.failure() && collective_)
            collective_->abort();
    }
    if (shared.control.failure())
        collective_.reset(); // aborted: the next run makes a new one
    result.seconds = shared.now();
    if (std::exception_ptr failure = shared.control.failure())
        std::rethrow_exception(failure);

    const int trained = std::min(count, shared.control.lastMiniBatch() + 1);
    result.stopped = trained < count;
    if (result.stopped) {
        // Undo what the cancelled mini-batches did: their gradients (every
        // finished mini-batch's were zeroed by its update) and their
        // batch-norm statistics.
        store_.zeroGradients();
        for (int s = 0; s < stages; ++s)
            if (!dp || s == 0)
                workers[size_t(s)]->rollBackCancelledForwards();
        store_.space().synchronize();
    }
    if (!dp)
        StageCopy::copyBack(copies, stages_, store_, optimizer_);
    for (int miniBatch = 0; miniBatch < trained; ++miniBatch)
        result.steps.push_back(shared.finishedStep(miniBatch));
    optimizer_.setStepCount(optimizer_.stepCount() + trained);
    result.timeline.stages = stages;
    for (const auto& worker : workers) {
        auto& events = worker->events();
        result.timeline.events.insert(result.timeline.events.end(), events.begin(), events.end());
        auto& transfers = worker->transfers();
        result.timeline.transfers.insert(result.timeline.transfers.end(), transfers.begin(), transfers.end());
    }
    std::sort(result.timeline.events.begin(), result.timeline.events.end(),
              [](const TimelineEvent& a, const TimelineEvent& b) { return a.start < b.start; });
    std::sort(result.timeline.transfers.begin(), result.timeline.transfers.end(),
              [](const TimelineTransfer& a, const TimelineTransfer& b) { return a.start < b.start; });
    return result;
}

} // namespace lpm
