#include "pipeline/stage_worker.h"

#include <algorithm>
#include <cmath>

#include "nn/softmax_cross_entropy.h"
#include "optim/gradient_clipping.h"
#include "pipeline/rank_exchange.h"
#include "tensor/error.h"

namespace lpm::pipeline_detail {

using Barrier = RunControl::Barrier;

StageWorker::StageWorker(int index, const PlannedStage& stage, int stages, bool replica, Model& model,
                         ParameterStore& store, Optimizer& optimizer, const StageSetup& setup, SharedRun& run,
                         Backend& backend)
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
            bufferMomenta_.insert(bufferMomenta_.end(), size_t(slot->shape.elementCount()), slot->averagingMomentum);
}

void StageWorker::play(const StageActions& actions, const std::vector<StageWorker*>& stages, SharedRun& run)
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
        run.control.fail(std::make_exception_ptr(Error(
            "stage " + std::to_string(stage.index_) + " (units " + std::to_string(stage.first_) + "-"
            + std::to_string(stage.last_) + "), " + (current ? describeAction(*current) : "start") + " of step "
            + std::to_string(stage.setup_.firstStep + (current ? current->miniBatch : 0) + 1) + ": " + error.what())));
    }
    {
        const std::lock_guard<std::mutex> lock(run.control.mutex());
        ++run.workersDone;
    }
    run.control.notifyAll();
}

void StageWorker::rollBackCancelledForwards()
{
    if (bufferSnapshots_.empty())
        return;
    const std::vector<float>& before = bufferSnapshots_.begin()->second; // the earliest
    space_.copyFromHost(store_.buffers() + bufferOffset_, before.data(), int64_t(sizeof(float) * before.size()));
    if (!space_.isHost())
        backend_.synchronize(); // the trainer's backend reads them next, on another stream
}

bool StageWorker::playOne(const Action& action)
{
    if (run_.control.cancelled(action.miniBatch))
        return false;
    if (action.kind == ActionKind::Forward && firstStage_ && !beginMiniBatch(action.miniBatch))
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

bool StageWorker::beginMiniBatch(int miniBatch)
{
    if (begunMiniBatch_ == miniBatch)
        return true;
    const bool acrossRanks = run_.ranks != nullptr && replica_;
    if (acrossRanks && index_ != 0 && !awaitMiniBatchStart(*run_.ranks, setup_.firstStep, miniBatch, run_.control))
        return false;
    if (!run_.control.startMiniBatch(miniBatch))
        return false;
    begunMiniBatch_ = miniBatch;
    if (acrossRanks && index_ == 0)
        announceMiniBatchStart(*run_.ranks, setup_.firstStep, miniBatch);
    return true;
}

void StageWorker::forward(const Action& action, int key)
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

void StageWorker::takeInputFromBatch(const Action& action, MicroBatchState& state)
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

template <typename Pass>
void StageWorker::withForwardWeights(const MicroBatchState& state, Pass&& pass)
{
    const bool stale = setup_.weightStash && state.weightsVersion != updatesDone_;
    if (stale)
        swapWeights(stashes_.at(state.weightsVersion));
    pass();
    if (stale)
        swapWeights(stashes_.at(state.weightsVersion));
}

void StageWorker::recompute(const Action& action, int key)
{
    MicroBatchState& state = states_.at(key);
    const ActionStart start = beginAction();
    withForwardWeights(state, [&] {
        forwardUnits(backend_, model_, first_, last_, std::move(state.keptInput), setup_.seed,
                     setup_.firstStep + action.miniBatch, state.sampleOffset, state.contexts, true);
    });
    record(action, start);
}

void StageWorker::backward(const Action& action, int key)
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

void StageWorker::weightGradient(const Action& action, int key)
{
    MicroBatchState& state = states_.at(key);
    const ActionStart start = beginAction();
    backwardWeightUnits(backend_, model_, first_, last_, state.contexts);
    state.awaitingWeights = false;
    record(action, start);
    finishIfDone(key);
}

void StageWorker::finishIfDone(int key)
{
    const MicroBatchState& state = states_.at(key);
    if (!state.awaitingBackward && !state.awaitingWeights && (firstStage_ || state.gradientSent))
        states_.erase(key);
}

void StageWorker::swapWeights(MemoryBlock& other)
{
    float* values = store_.values() + parameterOffset_;
    if (scratch_.bytes() < weightBytes())
        scratch_ = MemoryBlock(space_, std::max<int64_t>(weightBytes(), 4));
    scratch_.copyWithin(values, weightBytes());
    space_.copyWithin(values, other.data(), weightBytes());
    other.copyWithin(scratch_.data(), weightBytes());
}

void StageWorker::dropUnusedStashes()
{
    for (auto stash = stashes_.begin(); stash != stashes_.end();) {
        bool needed = false;
        for (const auto& [key, state] : states_)
            needed = needed || (state.awaitingBackward && state.weightsVersion == stash->first);
        stash = needed ? std::next(stash) : stashes_.erase(stash);
    }
}

void StageWorker::update(const Action& action)
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
    if (lastStage_ && run_.ranks != nullptr && run_.ranks->rank() != 0)
        sendStepResult(*run_.ranks, action.miniBatch, run_);
}

float StageWorker::agreedClippingScale(int miniBatch)
{
    backend_.synchronize(); // the gradients are complete on this stage's stream before they are read
    const std::vector<double> mine = unitGradientSquares(store_, first_, last_);
    if (run_.ranks != nullptr) // (one stage per rank: clipping runs with one chunk per stage)
        return clippingScale(exchangeUnitSquares(*run_.ranks, miniBatch, first_, mine, model_.unitCount(),
                                                 [this] { return run_.control.aborted(); }),
                             optimizer_.clipGradNorm());
    std::unique_lock<std::mutex> lock(run_.control.mutex());
    std::vector<double>& squares = run_.unitSquares[miniBatch];
    squares.resize(size_t(model_.unitCount()), 0.0);
    std::copy(mine.begin(), mine.end(), squares.begin() + first_);
    ++run_.squaresPublished[miniBatch];
    run_.control.notifyAll();
    run_.control.wait(lock, [&] { return run_.squaresPublished[miniBatch] == run_.stageCount; });
    return clippingScale(squares, optimizer_.clipGradNorm());
}

void StageWorker::snapshotSlice(int miniBatch)
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

void StageWorker::markUpdated(int miniBatch)
{
    {
        const std::lock_guard<std::mutex> lock(run_.control.mutex());
        run_.updated[size_t(index_)] = miniBatch + 1;
    }
    run_.control.notifyAll();
}

void StageWorker::send(const Action& action, int key, Direction direction)
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
    run_.transport->send(index_, direction, std::move(message));
}

bool StageWorker::receive(const Action& action, int key, Direction direction)
{
    std::optional<StageMessage> message = run_.transport->receive(index_, direction, action.miniBatch);
    if (!message)
        return false; // cancelled by a stop
    if (message->miniBatch != action.miniBatch || message->microBatch != action.microBatch)
        throw InvalidArgument("expected the " + std::string(directionName(direction)) + " of micro-batch "
                              + std::to_string(action.microBatch) + " of mini-batch " + std::to_string(action.miniBatch)
                              + ", got micro-batch " + std::to_string(message->microBatch) + " of mini-batch "
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
    // Carried (between ranks, whose run clocks start together), it ends on
    // its receipt: when it arrived, or later when this stage was busy then.
    const double received = run_.transport->handsOver() ? message->sentSeconds : run_.now();
    transfers_.push_back({direction == Direction::Gradient ? index_ + 1 : index_ - 1, index_, direction,
                          action.microBatch, action.miniBatch, message->sentSeconds, received});
    return true;
}

void StageWorker::anchorOnce()
{
    if (space_.isHost() || anchorMark_ >= 0)
        return;
    backend_.forgetTimesAfter(-1);
    anchorMark_ = backend_.markTime();
    backend_.synchronize();
    anchorSeconds_ = run_.now();
}

void StageWorker::record(const Action& action, const ActionStart& start)
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

} // namespace lpm::pipeline_detail
