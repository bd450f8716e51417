#include "pipeline/executor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include "backend/cpu/cpu_backend.h"
#include "nn/softmax_cross_entropy.h"
#include "pipeline/in_process_transport.h"
#include "pipeline/run_control.h"
#include "tensor/error.h"

namespace lpm {

namespace {

using Clock = std::chrono::steady_clock;

// What the workers of one run share besides the control and the transport.
struct SharedRun {
    SharedRun(int stages, int miniBatches, int linkCapacity)
        : control(stages, miniBatches), transport(control, stages, linkCapacity),
          updated(size_t(stages), 0), results(size_t(miniBatches))
    {
    }

    RunControl control;
    InProcessTransport transport;
    Clock::time_point start = Clock::now();
    std::vector<int> updated;        // per stage: mini-batches updated so far (guarded by control's mutex)
    int workersDone = 0;             // guarded by control's mutex
    std::vector<StepResult> results; // [mini-batch]: written by the last stage before its update of it

    double now() const { return std::chrono::duration<double>(Clock::now() - start).count(); }
};

// A micro-batch's state on one stage, from its input's arrival to its
// gradient's departure.
struct MicroBatchState {
    Tensor input;                      // the activation in (stage > 0), until F
    std::vector<int32_t> labels;       // until the loss (last stage) or passed on
    int64_t sampleOffset = 0;
    int64_t miniBatchSize = 0;
    std::vector<std::unique_ptr<LayerContext>> contexts; // F to B
    Tensor output;                     // F's result, until sent (not on the last stage)
    Tensor gradOutput;                 // the gradient in (last stage: of the loss), until B
    Tensor gradInput;                  // B's result, until sent (not on stage 0)
};

struct StageSetup {
    Model& model;
    ParameterStore& store;
    Optimizer& optimizer;
    uint64_t seed;
    int64_t firstStep;
    int64_t optimizerStepBase;
    int microBatches;
    const std::function<Batch(int64_t)>& batchAt;
    const std::atomic<bool>* stop;
};

class StageWorker {
public:
    StageWorker(int index, const PlannedStage& stage, int stages, const StageSetup& setup, SharedRun& run)
        : index_(index), first_(stage.first), last_(stage.last), lastStage_(index == stages - 1),
          setup_(setup), run_(run), backend_(1),
          parameterOffset_(setup.store.unitParameterOffset(stage.first)),
          parameterCount_(setup.store.unitParameterOffset(stage.last + 1) - parameterOffset_)
    {
    }

    // Plays the list; a failure aborts the run and names this stage and the action.
    void play(const StageActions& actions)
    {
        const Action* current = nullptr;
        try {
            for (const Action& action : actions) {
                current = &action;
                playOne(action);
            }
        } catch (const RunAborted&) {
            // another stage failed first; its error is the one reported
        } catch (const std::exception& error) {
            run_.control.fail(std::make_exception_ptr(
                Error("stage " + std::to_string(index_) + " (units " + std::to_string(first_) + "-"
                      + std::to_string(last_) + "), " + (current ? describeAction(*current) : "start")
                      + " of step " + std::to_string(setup_.firstStep + (current ? current->miniBatch : 0) + 1)
                      + ": " + error.what())));
        }
        {
            const std::lock_guard<std::mutex> lock(run_.control.mutex());
            ++run_.workersDone;
        }
        run_.control.notifyAll();
    }

    std::vector<TimelineEvent>& events() { return events_; }
    std::vector<TimelineTransfer>& transfers() { return transfers_; }

private:
    // Returns false when the action was skipped (its mini-batch is cancelled).
    bool playOne(const Action& action)
    {
        if (index_ == 0 && action.kind == ActionKind::Forward && action.microBatch == 0 && setup_.stop
            && setup_.stop->load())
            run_.control.cancelAfter(action.miniBatch - 1);
        if (run_.control.cancelled(action.miniBatch))
            return false;
        const int key = action.miniBatch * setup_.microBatches + action.microBatch;
        switch (action.kind) {
        case ActionKind::Forward: forward(action, key); break;
        case ActionKind::Backward: backward(action, key); break;
        case ActionKind::Update: update(action); break;
        case ActionKind::SendActivation: send(action, key, false); break;
        case ActionKind::SendGradient: send(action, key, true); break;
        case ActionKind::ReceiveActivation: return receive(action, key, false);
        case ActionKind::ReceiveGradient: return receive(action, key, true);
        case ActionKind::Flush: run_.control.flush(action.miniBatch); break;
        case ActionKind::AllReduce: throw InvalidArgument("the dp schedule is not available yet");
        }
        return true;
    }

    void forward(const Action& action, int key)
    {
        MicroBatchState& state = states_[key];
        if (index_ == 0)
            takeInputFromBatch(action, state);
        const double start = run_.now();
        const int64_t step = setup_.firstStep + action.miniBatch;
        Tensor output = forwardUnits(backend_, setup_.model, first_, last_, std::move(state.input), setup_.seed,
                                     step, state.sampleOffset, state.contexts);
        if (lastStage_) {
            LossResult loss = softmaxCrossEntropy(backend_, output, state.labels, state.miniBatchSize);
            if (!std::isfinite(loss.lossSum))
                throw Error("training diverged: the loss is not finite at step " + std::to_string(step + 1)
                            + " (try a smaller --lr)");
            StepResult& result = run_.results[size_t(action.miniBatch)];
            result.lossSum += loss.lossSum;
            result.correct += loss.correct;
            result.samples += int64_t(state.labels.size());
            state.gradOutput = std::move(loss.gradLogits);
        } else {
            state.output = std::move(output);
        }
        record(action, start);
    }

    void takeInputFromBatch(const Action& action, MicroBatchState& state)
    {
        if (batchMiniBatch_ != action.miniBatch) {
            batch_ = setup_.batchAt(setup_.firstStep + action.miniBatch);
            batchMiniBatch_ = action.miniBatch;
            offsets_.assign(1, 0);
            for (int64_t size : microBatchSizes(batch_.images.shape()[0], setup_.microBatches))
                offsets_.push_back(offsets_.back() + size);
        }
        const int64_t offset = offsets_[size_t(action.microBatch)];
        const int64_t size = offsets_[size_t(action.microBatch) + 1] - offset;
        state.input = sliceRows(batch_.images, offset, size);
        state.labels.assign(batch_.labels.begin() + offset, batch_.labels.begin() + offset + size);
        state.sampleOffset = offset;
        state.miniBatchSize = batch_.images.shape()[0];
    }

    void backward(const Action& action, int key)
    {
        MicroBatchState& state = states_.at(key);
        const double start = run_.now();
        state.gradInput = backwardUnits(backend_, setup_.model, first_, last_, std::move(state.gradOutput),
                                        state.contexts);
        record(action, start);
        if (index_ == 0)
            states_.erase(key); // nothing to send back
    }

    void update(const Action& action)
    {
        const double start = run_.now();
        setup_.optimizer.updateRange(backend_, setup_.store, parameterOffset_, parameterCount_,
                                     setup_.optimizerStepBase + action.miniBatch + 1);
        setup_.store.zeroGradients(parameterOffset_, parameterCount_);
        record(action, start);
        {
            const std::lock_guard<std::mutex> lock(run_.control.mutex());
            run_.updated[size_t(index_)] = action.miniBatch + 1;
        }
        run_.control.notifyAll();
    }

    void send(const Action& action, int key, bool gradient)
    {
        MicroBatchState& state = states_.at(key);
        StageMessage message;
        message.miniBatch = action.miniBatch;
        message.microBatch = action.microBatch;
        message.sampleOffset = state.sampleOffset;
        message.miniBatchSize = state.miniBatchSize;
        message.sentSeconds = run_.now();
        if (gradient) {
            message.tensor = std::move(state.gradInput);
            states_.erase(key); // the micro-batch is done here
        } else {
            message.tensor = std::move(state.output);
            message.labels = std::move(state.labels);
        }
        run_.transport.send(index_, gradient, std::move(message));
    }

    bool receive(const Action& action, int key, bool gradient)
    {
        std::optional<StageMessage> message = run_.transport.receive(index_, gradient, action.miniBatch);
        if (!message)
            return false; // cancelled by a stop
        if (message->miniBatch != action.miniBatch || message->microBatch != action.microBatch)
            throw InvalidArgument("expected the " + std::string(gradient ? "gradient" : "activation")
                                  + " of micro-batch " + std::to_string(action.microBatch) + " of mini-batch "
                                  + std::to_string(action.miniBatch) + ", got micro-batch "
                                  + std::to_string(message->microBatch) + " of mini-batch "
                                  + std::to_string(message->miniBatch));
        MicroBatchState& state = states_[key];
        if (gradient) {
            state.gradOutput = std::move(message->tensor);
        } else {
            state.input = std::move(message->tensor);
            state.labels = std::move(message->labels);
            state.sampleOffset = message->sampleOffset;
            state.miniBatchSize = message->miniBatchSize;
        }
        // In-process, the tensor is handed over: the transfer takes no time.
        transfers_.push_back({gradient ? index_ + 1 : index_ - 1, index_, gradient, action.microBatch,
                              action.miniBatch, message->sentSeconds, message->sentSeconds});
        return true;
    }

    void record(const Action& action, double start)
    {
        events_.push_back({index_, action.kind, action.microBatch, action.miniBatch, start, run_.now()});
    }

    int index_;
    int first_, last_;
    bool lastStage_;
    const StageSetup& setup_;
    SharedRun& run_;
    CpuBackend backend_;
    int64_t parameterOffset_, parameterCount_;
    std::map<int, MicroBatchState> states_; // by mini-batch · m + micro-batch
    Batch batch_;                           // stage 0: the mini-batch being forwarded
    int batchMiniBatch_ = -1;
    std::vector<int64_t> offsets_;          // stage 0: micro-batch offsets in batch_
    std::vector<TimelineEvent> events_;
    std::vector<TimelineTransfer> transfers_;
};

} // namespace

PipelineExecutor::PipelineExecutor(Model& model, ParameterStore& store, Optimizer& optimizer, Partition stages,
                                   std::string schedule, int64_t microBatches, uint64_t seed)
    : model_(model), store_(store), optimizer_(optimizer), stages_(std::move(stages)),
      schedule_(std::move(schedule)), microBatches_(microBatches), seed_(seed)
{
    static const std::vector<std::string> runnable = {"sequential", "gpipe", "1f1b", "lpm", "lpm-async"};
    if (std::find(runnable.begin(), runnable.end(), schedule_) == runnable.end())
        throw InvalidArgument("executor: schedule '" + schedule_
                              + "' cannot run (runnable: sequential, gpipe, 1f1b, lpm, lpm-async; dp is not "
                                "available yet)");
    if (microBatches_ < 1)
        throw InvalidArgument("executor: micro-batches must be at least 1, got " + std::to_string(microBatches_));
    int next = 0;
    for (size_t k = 0; k < stages_.size(); ++k) {
        const PlannedStage& stage = stages_[k];
        if (stage.first != next || stage.last < stage.first || stage.last >= model.unitCount()
            || stage.device != int(k))
            throw InvalidArgument("executor: stage " + std::to_string(k) + " holds units "
                                  + std::to_string(stage.first) + ".." + std::to_string(stage.last)
                                  + " on device " + std::to_string(stage.device) + "; stages must cover units 0.."
                                  + std::to_string(model.unitCount() - 1) + " in order, stage k on device k");
        next = stage.last + 1;
    }
    if (stages_.empty() || next != model.unitCount())
        throw InvalidArgument("executor: the stages cover units 0.." + std::to_string(next - 1) + " of "
                              + std::to_string(model.unitCount()));
    if (schedule_ == "sequential" && stages_.size() != 1)
        throw InvalidArgument("executor: sequential runs one stage, got " + std::to_string(stages_.size()));
}

PipelineRun PipelineExecutor::run(const std::function<Batch(int64_t)>& batchAt, int64_t firstStep, int count,
                                  const std::atomic<bool>* stop,
                                  const std::function<void(int64_t, const StepResult&)>& onStepDone)
{
    if (count < 1)
        throw InvalidArgument("executor: run at least 1 mini-batch, got " + std::to_string(count));
    const int stages = int(stages_.size());
    const Schedule schedule = buildSchedule(schedule_, stages, int(microBatches_), count);
    // Room for every micro-batch of a mini-batch and then some: a valid schedule never fills it.
    SharedRun shared(stages, count, int(microBatches_) + stages + 1);
    const StageSetup setup{model_, store_, optimizer_, seed_, firstStep, optimizer_.stepCount(),
                           int(microBatches_), batchAt, stop};
    std::vector<std::unique_ptr<StageWorker>> workers;
    for (int s = 0; s < stages; ++s)
        workers.push_back(std::make_unique<StageWorker>(s, stages_[size_t(s)], stages, setup, shared));

    PipelineRun result;
    {
        std::vector<std::jthread> threads;
        try {
            for (int s = 0; s < stages; ++s)
                threads.emplace_back([&, s] { workers[size_t(s)]->play(schedule.actions[size_t(s)]); });
            // Report mini-batches as every stage finishes them, until the workers are done.
            int reported = 0;
            for (bool finished = false; !finished;) {
                int completed = 0;
                {
                    std::unique_lock<std::mutex> lock(shared.control.mutex());
                    auto minimum = [&] { return *std::min_element(shared.updated.begin(), shared.updated.end()); };
                    shared.control.waitFor(lock, std::chrono::milliseconds(50), [&] {
                        return shared.workersDone == stages || minimum() > reported;
                    });
                    completed = minimum();
                    finished = shared.workersDone == stages || shared.control.abortedLocked();
                }
                for (; reported < completed; ++reported)
                    if (onStepDone)
                        onStepDone(firstStep + reported, shared.results[size_t(reported)]);
            }
        } catch (...) {
            shared.control.fail(std::current_exception()); // wakes every worker; the threads join below
        }
    }
    result.seconds = shared.now();
    if (std::exception_ptr failure = shared.control.failure())
        std::rethrow_exception(failure);

    const int trained = std::min(count, shared.control.lastMiniBatch() + 1);
    result.stopped = trained < count;
    result.steps.assign(shared.results.begin(), shared.results.begin() + trained);
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
