// One stage's worker in a pipeline run: it plays its action list of the
// schedule (forward, backward, its split halves, recomputation, update,
// sends and receives through the run's transport, dp's all-reduce) on its
// own units, with its own backend, and records each action's time. Its dp
// replica actions are in replica_sums.cpp. Internal to the executor.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "pipeline/shared_run.h"

namespace lpm::pipeline_detail {

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
                Optimizer& optimizer, const StageSetup& setup, SharedRun& run, Backend& backend);

    // Plays a worker's list: each action on its stage (stages[action.stage],
    // all on this thread); a failure aborts the run and names the stage and
    // the action.
    static void play(const StageActions& actions, const std::vector<StageWorker*>& stages, SharedRun& run);

    std::vector<TimelineEvent>& events() { return events_; }

    // After a stop: the batch-norm statistics as they were before the first
    // cancelled mini-batch this stage forwarded.
    void rollBackCancelledForwards();
    std::vector<TimelineTransfer>& transfers() { return transfers_; }

private:
    // Returns false when the action was skipped (its mini-batch is cancelled).
    bool playOne(const Action& action);

    void forward(const Action& action, int key);

    // A first stage (or dp replica) before its first forward of `miniBatch`:
    // false when a stop cancelled it (RunControl::startMiniBatch). Across
    // ranks, dp replicas other than rank 0's wait for rank 0's to begin it,
    // and rank 0's announces it (rank_exchange.h).
    bool beginMiniBatch(int miniBatch);

    void takeInputFromBatch(const Action& action, MicroBatchState& state);

    // Runs `pass` with the weights the micro-batch's forward used. Weight
    // stashing: a micro-batch forwarded before this stage's last update runs
    // its R and B with those, kept for it.
    template <typename Pass>
    void withForwardWeights(const MicroBatchState& state, Pass&& pass);

    // A recomputing stage's R: the forward again, from the kept input, to
    // rebuild the contexts its B reads (the same output, bit for bit, and no
    // running statistics updated twice).
    void recompute(const Action& action, int key);

    void backward(const Action& action, int key);

    // A split backward's W: the parameter gradients from what its B kept.
    // Ws run in micro-batch order, so each gradient sums as sequential's does.
    void weightGradient(const Action& action, int key);

    // Forgets a micro-batch once its gradient is sent (or, on the first
    // stage, computed) and its W, if the schedule has one, has run.
    void finishIfDone(int key);

    int64_t weightBytes() const { return int64_t(sizeof(float)) * parameterCount_; }

    // Exchanges the stage's weights with `other` (parameterCount_ floats in
    // this stage's memory), through scratch_, on this stage's stream.
    void swapWeights(MemoryBlock& other);

    // Frees the stashed versions no micro-batch in flight still needs.
    void dropUnusedStashes();

    void update(const Action& action);

    // Gradient clipping across stages: this stage publishes its units' Σ g²
    // for `miniBatch` and waits until every stage has published its own; then
    // each stage sums all units' in unit order, as sequential does, and gets
    // the same factor. No stage updates before all gradients of the
    // mini-batch are complete, but no stage waits for another's update
    // either: the last stage, which finishes its backwards first, waits for
    // the first stage's last backward, which in an exact schedule comes
    // before any forward of the next mini-batch reaches the last stage.
    float agreedClippingScale(int miniBatch);

    // Snapshots: this stage's slice of the weights after its update of
    // `miniBatch` (finished on its stream), and of its units' buffers after
    // that mini-batch's forwards and before any later one's (lpm-async
    // forwards the next mini-batch before this update: then the buffers kept
    // for a stop's roll-back), so a snapshot holds what a run stopped after
    // its step would leave. Only when the run's SnapshotRequest wants it.
    void snapshotSlice(int miniBatch);

    void markUpdated(int miniBatch);

    std::vector<float> hostBufferCopy() const;

    // dp: hands what this forward added to the replica's batch-norm statistics
    // to replica 0 (SharedRun::statisticUpdates).
    void publishStatisticUpdate(const Action& action, const std::vector<float>& before);

    // dp, replica 0, once every replica has forwarded `miniBatch`: sets the
    // statistics to `before` (those from before the mini-batch) with every
    // micro-batch's update applied in micro-batch order. Sequential training
    // applies the same updates in the same order; they differ from its own by
    // the rounding of the subtraction above, and through weights that differ
    // by dp's order of summing gradients.
    void replayStatisticUpdates(int miniBatch, std::vector<float> statistics);

    // dp: replica r's share of the parameters, [first, end): the same slice
    // for the all-reduce and the update, so each replica only ever touches
    // its own slice of replica 0's gradients, weights and optimizer state.
    std::pair<int64_t, int64_t> replicaShare() const;

    // dp: replica r adds every other replica's gradients, in replica order,
    // into replica 0's for its share of the parameters; all replicas share
    // the work, and each parameter's sum has the same order whoever does it.
    void allReduce(const Action& action);

    // dp: each replica updates its share of the trainer's weights (replica
    // 0's; the optimizer's step is elementwise, so who updates a parameter
    // does not change its bits); the others then copy all the weights (and
    // replica 0's batch-norm statistics), so every replica starts the next
    // mini-batch from the same weights.
    void updateReplica(const Action& action);

    void send(const Action& action, int key, Direction direction);

    bool receive(const Action& action, int key, Direction direction);

    // When an action began: the host clock, and on a device a time stamp
    // queued on the stage's stream (-1 where the backend keeps none).
    struct ActionStart {
        double hostSeconds;
        int deviceMark;
    };

    ActionStart beginAction() { return {run_.now(), !space_.isHost() ? backend_.markTime() : -1}; }

    // On a device, the stage's time stamps are placed on the run's clock
    // from one stamp taken, with the stream idle, when the stage starts.
    void anchorOnce();

    void record(const Action& action, const ActionStart& start);

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
    int begunMiniBatch_ = -1;      // beginMiniBatch's last
    std::vector<int64_t> offsets_; // stage 0: micro-batch offsets in batch_
    std::vector<TimelineEvent> events_;
    std::vector<TimelineTransfer> transfers_;
    int anchorMark_ = -1;        // device stages: the stamp taken at the start (anchorOnce)
    double anchorSeconds_ = 0.0; // its time on the run's clock
};

} // namespace lpm::pipeline_detail
