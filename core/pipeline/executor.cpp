#include "pipeline/executor.h"

#include <algorithm>
#include <memory>
#include <thread>
#include <utility>

#include "backend/cpu/cpu_backend.h"
#include "backend/replica_collective.h"
#include "devices/host_devices.h"
#include "pipeline/rank_collective.h"
#include "pipeline/rank_exchange.h"
#include "pipeline/rank_transport.h"
#include "pipeline/stage_copy.h"
#include "pipeline/stage_worker.h"
#include "tensor/error.h"

namespace lpm {

using pipeline_detail::SharedRun;
using pipeline_detail::StageCopy;
using pipeline_detail::StageSetup;
using pipeline_detail::StageWorker;

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

void PipelineExecutor::requireRunnableAcrossRanks(int workers, const SnapshotRequest* snapshots) const
{
    auto notYet = [&](const std::string& what) {
        throw InvalidArgument("executor: " + what + " across ranks is not available yet");
    };
    if (ranks_->size() != workers)
        throw InvalidArgument("executor: " + schedule_ + " on " + std::to_string(stages_.size()) + " stages"
                              + (chunks_ > 1 ? " of " + std::to_string(chunks_) + " chunks each" : "") + " needs "
                              + std::to_string(workers) + " ranks (one per device), the job has "
                              + std::to_string(ranks_->size()));
    if (snapshots != nullptr && snapshots->due)
        notYet("live evaluation");
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
    // Across ranks, this process plays its own worker list alone (setRanks).
    std::vector<bool> local(static_cast<size_t>(stages), true);
    if (ranks_ != nullptr) {
        requireRunnableAcrossRanks(schedule.workers, snapshots);
        if (ranks_->rank() != 0)
            stop = nullptr; // (rank 0 stops the whole job, and tells the others where)
        for (int s = 0; s < stages; ++s)
            local[size_t(s)] = s % ranks_->size() == ranks_->rank();
    }
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
            if (!local[size_t(s)]) { // played by another rank
                made.push_back(nullptr);
                continue;
            }
            made.push_back(makeStageBackend_ ? makeStageBackend_(s) : std::make_unique<CpuBackend>(replicas));
            if (replicas > 1 && !made.back()->usesHostMemory())
                throw InvalidArgument("executor: stage " + std::to_string(s) + " has " + std::to_string(replicas)
                                      + " replicas on " + made.back()->name()
                                      + "; stages are replicated on CPU cores only (replicating a stage over GPUs "
                                        "is not available yet)");
        }
        if (traits_.replicated && ranks_ == nullptr) {
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
    if (traits_.replicated && ranks_ != nullptr && !collective_) // every replica in a process of its own
        collective_ = makeRankCollective(*ranks_);
    // Room for every micro-batch of a mini-batch and then some: a valid schedule never fills it.
    int threads = 0; // the workers' own, and a replicated stage's team members besides
    for (int w = 0; w < schedule.workers; ++w)
        if (local[size_t(w)])
            threads += chunks_ > 1 ? 1 : stages_[size_t(w)].replicas;
    const std::chrono::microseconds spin =
        waitSpin_.value_or(threads <= usableCpuCores() ? kDefaultWaitSpin : std::chrono::microseconds(0));
    const int localWorkers = ranks_ ? 1 : schedule.workers; // (worker w plays stages w, w + workers, ...)
    PipelineExecutor::TransportFactory makeTransport = makeTransport_;
    if (ranks_ != nullptr)
        makeTransport = [this](RunControl& control, int, int) {
            return std::make_unique<RankTransport>(*ranks_, control);
        };
    SharedRun shared(stages, localWorkers, count, int(microBatches_), int(microBatches_) + stages + 1, spin,
                     makeTransport);
    shared.stageCount = stages;
    shared.ranks = ranks_;
    if (ranks_ != nullptr) {
        RunControl& control = shared.control;
        control.setRankBarrier([this, &control] { return ranks_->barrier([&control] { return control.aborted(); }); });
        ranks_->barrier({}); // every rank starts now
        shared.start = pipeline_detail::commonRunStart(*ranks_, pipeline_detail::Clock::now());
    }
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
        if (!local[size_t(s)])
            continue;
        Backend& backend = *stageBackends_[size_t(s)];
        if (dp && s > 0 && ranks_ != nullptr) // (the replica is its rank's own trainer)
            continue;
        if (dp && s > 0)
            copies[size_t(s)] = StageCopy::replicaOf(model_, store_, backend, collective_ == nullptr);
        else if (!dp && !usesMemoryOf(backend, store_.space())) // (even a peer GPU's: local reads are faster)
            copies[size_t(s)] = StageCopy::stageOf(model_, store_, optimizer_, stages_[size_t(s)], backend);
    }
    if (dp)
        for (int s = 0; s < stages; ++s) // (across ranks, each rank's own: they sum through the collective)
            shared.replicas.push_back(s == 0 || ranks_ != nullptr ? &store_ : copies[size_t(s)].store.get());
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
    std::vector<std::unique_ptr<StageWorker>> workers; // (null: a stage another rank plays)
    for (int s = 0; s < stages; ++s) {
        if (!local[size_t(s)]) {
            workers.push_back(nullptr);
            continue;
        }
        StageCopy& copy = copies[size_t(s)];
        workers.push_back(std::make_unique<StageWorker>(
            s, stages_[size_t(s)], stages, dp, copy.model ? *copy.model : model_, copy.store ? *copy.store : store_,
            copy.optimizer ? *copy.optimizer : optimizer_, setup, shared, *stageBackends_[size_t(s)]));
    }
    std::vector<StageWorker*> stageWorkers;
    for (const auto& worker : workers)
        stageWorkers.push_back(worker.get());
    const int threadCount = localWorkers; // one per worker list (interleaved: each plays several stages)
    const int firstWorker = ranks_ ? ranks_->rank() : 0;

    PipelineRun result;
    int reportedWhileRunning = 0; // across ranks, on rank 0: the steps reported as their results came
    // A stop request: in one process the stages finish the mini-batches
    // some stage began to update; across ranks rank 0 stops after the last
    // one its first stage began, and tells the others, who learn it here
    // (dp replicas learn it as they wait for rank 0 to begin the next).
    bool stopping = false;
    auto takeStopRequest = [&] {
        if (stopping)
            return;
        if (ranks_ == nullptr) {
            if (stop && stop->load()) {
                shared.control.stopSoon();
                stopping = true;
            }
        } else if (ranks_->rank() == 0) {
            if (stop && stop->load()) {
                pipeline_detail::sendRunStop(*ranks_, firstStep, shared.control.stopAtStarted());
                stopping = true;
            }
        } else if (!dp) {
            if (const std::optional<int> last = pipeline_detail::pollRunStop(*ranks_, firstStep)) {
                shared.control.stopAt(*last);
                stopping = true;
            }
        }
    };
    {
        std::vector<std::jthread> threads;
        try {
            for (int w = firstWorker; w < firstWorker + threadCount; ++w)
                threads.emplace_back([&, w] { StageWorker::play(schedule.actions[size_t(w)], stageWorkers, shared); });
            // Across ranks, rank 0 reports each step as the ranks that compute losses send their parts.
            if (ranks_ != nullptr && ranks_->rank() == 0) {
                std::vector<int> lossRanks; // the last stage's rank; under dp every other replica
                for (int rank = 1; rank < ranks_->size(); ++rank)
                    if (dp || rank == (stages - 1) % ranks_->size())
                        lossRanks.push_back(rank);
                for (; reportedWhileRunning < count; ++reportedWhileRunning) {
                    const std::optional<StepResult> step =
                        pipeline_detail::receiveStepResults(*ranks_, lossRanks, reportedWhileRunning, shared, [&] {
                            takeStopRequest();
                            return shared.control.aborted() || shared.control.cancelled(reportedWhileRunning);
                        });
                    if (!step)
                        break; // aborted, or stopped before this mini-batch
                    if (onStepDone)
                        onStepDone(firstStep + reportedWhileRunning, *step);
                }
            }
            // Report mini-batches as every stage finishes them, until the workers are done.
            int reported = 0;
            for (bool finished = false; !finished;) {
                takeStopRequest();
                int completed = 0;
                {
                    std::unique_lock<std::mutex> lock(shared.control.mutex());
                    // (across ranks, what this rank's stages updated: steps are reported above, or after the run)
                    auto minimum = [&] {
                        int least = count;
                        for (int s = 0; s < stages; ++s)
                            if (local[size_t(s)])
                                least = std::min(least, shared.updated[size_t(s)]);
                        return least;
                    };
                    shared.control.waitFor(lock, std::chrono::milliseconds(5),
                                           [&] { return shared.workersDone == threadCount || minimum() > reported; });
                    completed = minimum();
                    finished = shared.workersDone == threadCount || shared.control.abortedLocked();
                }
                for (; reported < completed; ++reported) {
                    if (ranks_ != nullptr)
                        continue;
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
            if ((!dp || s == 0) && workers[size_t(s)]) // (across ranks, this rank's)
                workers[size_t(s)]->rollBackCancelledForwards();
        store_.space().synchronize();
    }
    if (!dp)
        StageCopy::copyBack(copies, stages_, store_, optimizer_);
    result.timeline.stages = stages;
    for (const auto& worker : workers) {
        if (!worker)
            continue;
        auto& events = worker->events();
        result.timeline.events.insert(result.timeline.events.end(), events.begin(), events.end());
        auto& transfers = worker->transfers();
        result.timeline.transfers.insert(result.timeline.transfers.end(), transfers.begin(), transfers.end());
    }
    if (ranks_ != nullptr) {
        pipeline_detail::exchangeAcrossRanks(*ranks_, stages_, local, dp, store_, optimizer_, shared, result.timeline);
        if (onStepDone)
            for (int miniBatch = reportedWhileRunning; miniBatch < trained; ++miniBatch)
                onStepDone(firstStep + miniBatch, shared.finishedStep(miniBatch));
    }
    for (int miniBatch = 0; miniBatch < trained; ++miniBatch)
        result.steps.push_back(shared.finishedStep(miniBatch));
    optimizer_.setStepCount(optimizer_.stepCount() + trained);
    std::sort(result.timeline.events.begin(), result.timeline.events.end(),
              [](const TimelineEvent& a, const TimelineEvent& b) { return a.start < b.start; });
    std::sort(result.timeline.transfers.begin(), result.timeline.transfers.end(),
              [](const TimelineTransfer& a, const TimelineTransfer& b) { return a.start < b.start; });
    return result;
}

} // namespace lpm
