// The pipeline executor (DESIGN §1.4, §2): one worker thread per stage (for
// interleaved, per device: each plays its `chunks` stages in the order its
// list gives), each running its stage's action list of a schedule (the lists
// the simulator plays) on its own units, with its own backend (one core and one BLAS thread
// per CPU stage), handing activations and gradients to its neighbours through
// a Transport. Every stage updates its own slice of the parameters the moment
// its list says so — for `lpm`, right after its own last backward.
//
// Exactness: each stage runs forwards and backwards in micro-batch order with
// the same keys, sample offsets and loss scaling as the sequential trainer,
// and the optimizer's update of a slice is the update of those parameters, so
// gpipe, 1f1b and lpm leave bit for bit the weights `sequential` leaves.
//
// dp: every stage is a replica of the whole model (a zoo model rebuilt by
// name, weights copied from the trainer's into the stage's memory); replica r
// trains micro-batches r, r + p, ...; the all-reduce adds the replicas'
// gradients in replica order into replica 0's, each replica summing and then
// updating its 1/p share of the trainer's weights; the others copy them. On
// one GPU (or GPUs with peer access) the replicas read each other's memory
// directly, each on its own stream, finishing its stream before every
// barrier. Replicas that cannot (GPUs without peer access) sum through a
// collective instead (NCCL, one replica per GPU): an all-reduce gives every
// replica the sum, replica 0 updates the trainer's weights, and a broadcast
// gives them, and its batch-norm statistics, to the others. A failed run
// aborts the collective, so no replica stays waiting in it.
// Gradients are summed in another order than sequential's (per replica first),
// so weights agree to rounding (about 1e-7 relative per step), not bit for
// bit. Batch-norm running statistics are sequential's to rounding too: each
// replica hands over what each of its forwards added to them, and replica 0
// replays those updates in micro-batch order onto the statistics from before
// the mini-batch (BufferSlot::averagingMomentum), before the others copy them.
//
// Stage replication (PlannedStage::replicas, plan.h): a stage replicated on
// r CPU cores computes on a CPU backend of r threads, which splits every
// micro-batch's samples among them in groups fixed by the shapes alone and
// sums the groups' weight gradients in group order: the replicas share the
// stage's weights, nothing is all-reduced, and every exact schedule stays
// exact. Replicas on a GPU's backend are refused (not available yet).
//
// Recomputation (PlannedStage::recompute): such a stage keeps a copy of each
// micro-batch's input from F to its R, drops F's contexts, and rebuilds them
// in R with a second forward (StepInfo::recompute: the same keys, so the
// same dropout draws, and batch norm's running statistics updated once), so
// every exact schedule stays exact with it. Under lpm-async with weight
// stashing R uses the forward's stashed weights too; without stashing it
// recomputes with the stage's current weights (another inexact result).
//
// Stage backends: by default each stage computes on a one-thread CpuBackend;
// `makeStageBackend` gives each stage another (a GPU's: then every stage of a
// run computes on its own CudaBackend, its own stream, on the GPU where the
// store was placed; ParameterStore::placeOn). A stage whose backend computes
// in another memory than the weights (a GPU other than theirs, CPU cores for
// weights on a GPU, a GPU for weights on the host) trains a copy of its own
// units' weights, buffers and optimizer state in its memory, made at the
// start of each run; after the run (finished or stopped) it gives them back,
// so the trainer's store is whole again. Between
// stages whose memory is not the host's, a tensor is handed over finished
// (the sender waits for its stream) and the receiver copies it into its own
// memory (and waits; between two GPUs a peer copy, which the driver stages
// through the host where they have no peer access), so no block is ever used
// by two streams at once. Stashed weights (lpm-async --weight-stash) are kept
// in the stage's own memory.
//
// Snapshots (live evaluation): for the mini-batches a SnapshotRequest picks,
// each stage copies its own slice of the weights and of its units' buffers
// into host memory right after its own update of that mini-batch (a dp
// replica 0 copies them all once every share is updated; a stage training a
// StageCopy copies from that copy). Stages write disjoint slices, so the
// snapshot is complete, and equal to the weights after that step, once every
// stage has updated it; the calling thread hands it out then. Nothing the
// stages compute with is changed, so the weights do not depend on snapshots.
//
// Stopping: when a stop request is seen (polled every 5 ms), the mini-batches
// no stage has begun to update are cancelled; stages abandon their work at
// the next action, and the stages that have not yet updated the last
// mini-batch some stage updated finish it. The cancelled mini-batches'
// gradients and batch-norm statistics are rolled back, so the weights and
// buffers are those after that mini-batch, as if the run had been shorter.
// Across ranks (setRanks) rank 0's stop request counts, and the run ends
// after the last mini-batch rank 0's first stage began (RunControl::
// stopAtStarted), which every rank then finishes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/replica_collective.h"
#include "data/batcher.h"
#include "dist/rank_channel.h"
#include "nn/model.h"
#include "nn/parameter_store.h"
#include "nn/unit_passes.h"
#include "optim/optimizer.h"
#include "pipeline/transport.h"
#include "plan/partition_problem.h"
#include "schedule/schedule.h"
#include "schedule/timeline.h"

namespace lpm {

struct PipelineRun {
    std::vector<StepResult> steps; // per trained mini-batch, in order
    Timeline timeline;             // measured: seconds since the run's start
    double seconds = 0.0;          // wall time of the run
    bool stopped = false;          // a stop request cancelled the remaining mini-batches
};

// A copy of the whole model's weights after one step's update, in host memory.
struct WeightsSnapshot {
    int64_t step = 0;           // the global step whose update the weights follow (0-based)
    std::vector<float> values;  // store.parameterCount() floats, in the store's unit order
    std::vector<float> buffers; // store.bufferCount() floats (batch-norm running statistics)
};

// Which mini-batches of a run to snapshot, and who receives the snapshots.
struct SnapshotRequest {
    // Called once per mini-batch (its global step), on a stage thread under the
    // run's lock, when the first stage has updated it (before it copies a
    // slice): true snapshots the weights after that step. May read a clock:
    // the weights never depend on it.
    std::function<bool(int64_t step)> due;
    // Called on the calling thread, in step order, right after onStepDone of
    // that step; only with complete snapshots (a stopped or failed run drops
    // the rest). The stages keep training meanwhile.
    std::function<void(const WeightsSnapshot&)> received;
};

class RunControl;

class PipelineExecutor {
public:
    // `stages` must cover the model's units in order (stage k on worker k);
    // schedule: sequential (one stage), gpipe, 1f1b, lpm, lpm-async, or dp
    // (every stage all units). Throws InvalidArgument for anything else.
    // weightStash (lpm-async only): a micro-batch forwarded before its
    // stage's update runs its backward with the weights of its forward, kept
    // for it (one copy of the stage's weights per version still in flight).
    // makeStageBackend (may be empty: CPU stages) is called once per stage, at the first run.
    using StageBackendFactory = std::function<std::unique_ptr<Backend>(int stage)>;
    PipelineExecutor(Model& model, ParameterStore& store, Optimizer& optimizer, Partition stages, std::string schedule,
                     int64_t microBatches, uint64_t seed, bool weightStash = false,
                     StageBackendFactory makeStageBackend = {});

    // Trains the mini-batches of global steps firstStep .. firstStep + count − 1
    // (batchAt is called from stage 0's thread only). onStepDone, when given,
    // is called on the calling thread, in order, once every stage has updated a
    // mini-batch. Optimizer update i of this run is update
    // optimizer.stepCount() + i + 1; the count is advanced by the mini-batches
    // trained. Throws the first stage failure as lpm::Error naming the stage,
    // after every worker has stopped. `snapshots` (may be null): copies of the
    // weights after chosen steps, for evaluation while the run goes on.
    PipelineRun run(const std::function<Batch(int64_t step)>& batchAt, int64_t firstStep, int count,
                    const std::atomic<bool>* stop = nullptr,
                    const std::function<void(int64_t step, const StepResult&)>& onStepDone = {},
                    const SnapshotRequest* snapshots = nullptr);

    // How long a stage waiting for a message or a barrier spins before it
    // blocks (RunControl). By default 1 ms when every stage can have a core
    // of its own (stages <= usable cores), else none: spinning threads would
    // take cores from working ones.
    void setWaitSpin(std::chrono::microseconds spin) { waitSpin_ = spin; }

    // dp replicas that cannot read each other's memory (GPUs without peer
    // access) sum and share through a collective: NCCL by default, or the
    // one this factory makes (tests). `always`: replicas that could read each
    // other's memory use it too (to compare the two). Before the first run.
    void setReplicaCollective(ReplicaCollectiveFactory make, bool always = false)
    {
        makeCollective_ = std::move(make);
        alwaysCollective_ = always;
    }
    static constexpr std::chrono::microseconds kDefaultWaitSpin{1000};

    // Called on a stage's thread before each action it plays (not for the
    // actions of cancelled mini-batches): fault injection for the soak
    // benchmark and tests. What it throws fails the run as the action's own
    // error would, naming the stage and the action. Before a run.
    using ActionHook = std::function<void(int stage, const Action& action)>;
    void setActionHook(ActionHook hook) { beforeAction_ = std::move(hook); }

    // interleaved: the model chunks (stages) each worker thread plays, in
    // its device's interleaved order; the stages must be a multiple of them,
    // stage s on thread s mod (stages / chunks). 1 (the default) for every
    // other schedule. Checked by the next run (buildSchedule's errors).
    void setChunks(int chunks) { chunks_ = chunks; }

    // How the stages hand each other activations and gradients: by default
    // in-process queues (InProcessTransport); otherwise the transport this
    // factory makes at each run, from the run's control (which it must
    // consult for aborts and stops), the stage count and each link's
    // capacity in messages. Before a run.
    using TransportFactory =
        std::function<std::unique_ptr<Transport>(RunControl& control, int stages, int linkCapacity)>;
    void setTransportFactory(TransportFactory make) { makeTransport_ = std::move(make); }

    // Past one process (DESIGN §1.6): this process is rank r of the job
    // `ranks` connects and plays worker list r alone (stage s on rank s mod
    // ranks, which must be the schedule's workers: the stages, or stages /
    // chunks interleaved). Every rank makes the same executor over the same
    // model, store and optimizer, and runs the same mini-batches; the stages
    // talk through a RankTransport, gpipe's and 1f1b's flushes are barriers
    // across the ranks, and after each run the ranks exchange their stages'
    // weights, buffers, optimizer state, results and timelines, so that every
    // rank's store is whole again. Rank 0 reports each step while the run
    // goes on, as the last stage's rank sends its result (once that stage
    // has updated it); the others report every step after the run. Exact
    // schedules stay exact. dp runs replica r on rank r, summing through a
    // collective over the channel (rank_collective.h) in rank order, so it
    // leaves dp's weights in one process. Rank 0's stop request stops every
    // rank at one mini-batch; the other ranks' `stop` is not read. Not
    // available yet across ranks: snapshots. Null: one process. Before a run.
    void setRanks(RankChannel* ranks) { ranks_ = ranks; }

    const Partition& stages() const { return stages_; }
    const std::string& schedule() const { return schedule_; }

private:
    // Throws InvalidArgument for what a run across ranks cannot do (yet).
    void requireRunnableAcrossRanks(int workers, const SnapshotRequest* snapshots) const;

    Model& model_;
    ParameterStore& store_;
    Optimizer& optimizer_;
    Partition stages_;
    std::string schedule_;
    ScheduleTraits traits_;
    int64_t microBatches_;
    uint64_t seed_;
    bool weightStash_;
    StageBackendFactory makeStageBackend_;
    std::optional<std::chrono::microseconds> waitSpin_; // unset: the default above
    int chunks_ = 1;
    ActionHook beforeAction_;
    TransportFactory makeTransport_;                      // empty: InProcessTransport
    RankChannel* ranks_ = nullptr;                        // null: every stage in this process
    std::vector<std::unique_ptr<Backend>> stageBackends_; // made by the first run
    ReplicaCollectiveFactory makeCollective_;             // empty: makeNcclCollective
    bool alwaysCollective_ = false;
    std::vector<Backend*> collectiveRanks_;         // dp through a collective: the replicas' backends
    std::unique_ptr<ReplicaCollective> collective_; // (destroyed before the backends it runs on)
};

} // namespace lpm
