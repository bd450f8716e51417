#include "pipeline/rank_exchange.h"

#include <algorithm>
#include <fstream>
#include <string>

#include "dist/byte_packing.h"

namespace lpm::pipeline_detail {

namespace {

// The next message from `rank` under `tag`; throws RunAborted when `giveUp` said so first.
MessageBytes receiveOrAbort(RankChannel& channel, int rank, int tag, const std::function<bool()>& giveUp)
{
    std::optional<MessageBytes> bytes = channel.receive(rank, tag, giveUp);
    if (!bytes)
        throw RunAborted();
    return std::move(*bytes);
}

// A slice [offset, offset + count) of `values`, copied out.
std::vector<float> sliceOf(const float* values, int64_t offset, int64_t count)
{
    return std::vector<float>(values + offset, values + offset + count);
}

// Writes `slice` at `offset` of `into`, which holds `size` floats; throws
// naming `what` when it does not fit (ranks that disagree on the model).
void putSlice(const std::vector<float>& slice, float* into, int64_t offset, int64_t size, const std::string& what)
{
    if (offset < 0 || int64_t(slice.size()) > size - offset)
        throw Error(what + ": " + std::to_string(slice.size()) + " values at " + std::to_string(offset)
                    + " do not fit the " + std::to_string(size) + " here (do the ranks train the same model?)");
    std::copy(slice.begin(), slice.end(), into + offset);
}

// Adds a rank's part of a mini-batch's result: counts, and the losses of
// the micro-batches it computed (every other rank's are 0 there).
void addResult(StepResult& counts, std::vector<double>& losses, const StepResult& part,
               const std::vector<double>& partLosses)
{
    counts.correct += part.correct;
    counts.samples += part.samples;
    counts.predictions += part.predictions;
    for (size_t i = 0; i < losses.size() && i < partLosses.size(); ++i)
        losses[i] += partLosses[i];
}

} // namespace

std::chrono::steady_clock::time_point commonRunStart(RankChannel& channel, std::chrono::steady_clock::time_point mine)
{
    // Which clock this is: the kernel's boot id (empty where unreadable: no sharing then).
    std::string clock;
    std::getline(std::ifstream("/proc/sys/kernel/random/boot_id"), clock);
    BytePacker packer;
    packer.putVector(std::vector<char>(clock.begin(), clock.end()));
    packer.put<int64_t>(int64_t(mine.time_since_epoch().count()));
    const std::vector<MessageBytes> all = channel.allGather(packer.take());
    ByteUnpacker rankZero(all[0], "the run's start on rank 0");
    const std::vector<char> zeroClock = rankZero.getVector<char>();
    const int64_t zeroStart = rankZero.get<int64_t>();
    if (clock.empty() || std::string(zeroClock.begin(), zeroClock.end()) != clock)
        return mine;
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(zeroStart));
}

void sendStepResult(RankChannel& channel, int miniBatch, SharedRun& shared)
{
    BytePacker packer;
    packer.put<int32_t>(miniBatch);
    {
        const std::lock_guard<std::mutex> lock(shared.control.mutex());
        packer.put(shared.results[size_t(miniBatch)]);
        packer.putVector(shared.microBatchLosses[size_t(miniBatch)]);
    }
    channel.send(0, kStepResultTag, packer.take());
}

std::optional<StepResult> receiveStepResults(RankChannel& channel, const std::vector<int>& fromRanks, int miniBatch,
                                             SharedRun& shared, const std::function<bool()>& giveUp)
{
    StepResult counts;
    std::vector<double> losses(shared.microBatchLosses[size_t(miniBatch)].size(), 0.0);
    for (int rank : fromRanks) {
        const std::optional<MessageBytes> bytes = channel.receive(rank, kStepResultTag, giveUp);
        if (!bytes)
            return std::nullopt;
        const std::string what = "a step's result from rank " + std::to_string(rank);
        ByteUnpacker unpacker(*bytes, what);
        const int received = unpacker.get<int32_t>();
        if (received != miniBatch)
            throw Error(what + " is of mini-batch " + std::to_string(received) + ", expected "
                        + std::to_string(miniBatch));
        const StepResult part = unpacker.get<StepResult>();
        const std::vector<double> partLosses = unpacker.getVector<double>();
        if (partLosses.size() != losses.size())
            throw Error(what + " has " + std::to_string(partLosses.size()) + " micro-batches, expected "
                        + std::to_string(losses.size()));
        addResult(counts, losses, part, partLosses);
    }
    // This rank's own part last: the others sent theirs after their update,
    // which (a barrier or a gradient from here) follows this rank's
    // forwards of the mini-batch, so its part is complete now.
    const std::lock_guard<std::mutex> lock(shared.control.mutex());
    addResult(counts, losses, shared.results[size_t(miniBatch)], shared.microBatchLosses[size_t(miniBatch)]);
    return SharedRun::combined(counts, losses);
}

std::vector<double> exchangeUnitSquares(RankChannel& channel, int miniBatch, int firstUnit,
                                        const std::vector<double>& mine, int unitCount,
                                        const std::function<bool()>& giveUp)
{
    BytePacker packer;
    packer.put<int32_t>(miniBatch);
    packer.put<int32_t>(firstUnit);
    packer.putVector(mine);
    const MessageBytes message = packer.take();
    for (int rank = 0; rank < channel.size(); ++rank)
        if (rank != channel.rank())
            channel.send(rank, kGradientSquaresTag, message);
    std::vector<double> squares(size_t(unitCount), 0.0);
    auto place = [&](int first, const std::vector<double>& part, const std::string& what) {
        if (first < 0 || part.size() > size_t(unitCount - first))
            throw Error(what + " are of units " + std::to_string(first) + ".."
                        + std::to_string(first + int(part.size()) - 1) + ", the model has "
                        + std::to_string(unitCount));
        std::copy(part.begin(), part.end(), squares.begin() + first);
    };
    place(firstUnit, mine, "this rank's gradient squares");
    for (int rank = 0; rank < channel.size(); ++rank) {
        if (rank == channel.rank())
            continue;
        const MessageBytes bytes = receiveOrAbort(channel, rank, kGradientSquaresTag, giveUp);
        const std::string what = "gradient squares from rank " + std::to_string(rank);
        ByteUnpacker unpacker(bytes, what);
        const int theirMiniBatch = unpacker.get<int32_t>();
        if (theirMiniBatch != miniBatch)
            throw Error(what + " are of mini-batch " + std::to_string(theirMiniBatch) + ", expected "
                        + std::to_string(miniBatch));
        const int theirFirst = unpacker.get<int32_t>();
        place(theirFirst, unpacker.getVector<double>(), what);
    }
    return squares;
}

namespace {

enum class RunMessage : int32_t { Started = 0, Stop = 1 };

void sendToOthers(RankChannel& channel, int64_t firstStep, RunMessage kind, int miniBatch)
{
    BytePacker packer;
    packer.put<int64_t>(firstStep);
    packer.put<int32_t>(int32_t(kind));
    packer.put<int32_t>(miniBatch);
    const MessageBytes message = packer.take();
    for (int rank = 1; rank < channel.size(); ++rank)
        channel.send(rank, kRunStartStopTag, message);
}

struct RunMessageRead {
    int64_t firstStep = 0;
    RunMessage kind = RunMessage::Started;
    int miniBatch = 0;
};

RunMessageRead readRunMessage(const MessageBytes& bytes)
{
    ByteUnpacker unpacker(bytes, "a run's start or stop from rank 0");
    RunMessageRead read;
    read.firstStep = unpacker.get<int64_t>();
    read.kind = RunMessage(unpacker.get<int32_t>());
    read.miniBatch = unpacker.get<int32_t>();
    return read;
}

} // namespace

void sendRunStop(RankChannel& channel, int64_t firstStep, int lastMiniBatch)
{
    sendToOthers(channel, firstStep, RunMessage::Stop, lastMiniBatch);
}

void announceMiniBatchStart(RankChannel& channel, int64_t firstStep, int miniBatch)
{
    sendToOthers(channel, firstStep, RunMessage::Started, miniBatch);
}

std::optional<int> pollRunStop(RankChannel& channel, int64_t firstStep)
{
    while (const std::optional<MessageBytes> bytes = channel.tryReceive(0, kRunStartStopTag)) {
        const RunMessageRead message = readRunMessage(*bytes);
        if (message.firstStep == firstStep && message.kind == RunMessage::Stop)
            return message.miniBatch;
    }
    return std::nullopt;
}

bool awaitMiniBatchStart(RankChannel& channel, int64_t firstStep, int miniBatch, RunControl& control)
{
    for (;;) {
        const RunMessageRead message =
            readRunMessage(receiveOrAbort(channel, 0, kRunStartStopTag, [&control] { return control.aborted(); }));
        if (message.firstStep != firstStep)
            continue; // an earlier run's
        if (message.kind == RunMessage::Stop) {
            control.stopAt(message.miniBatch);
            return miniBatch <= message.miniBatch;
        }
        if (message.miniBatch == miniBatch)
            return true;
        if (message.miniBatch > miniBatch)
            throw Error("rank 0 began mini-batch " + std::to_string(message.miniBatch)
                        + " while this replica waits for " + std::to_string(miniBatch));
        // (earlier: announced after its stop, which this replica already read)
    }
}

void sendStatisticUpdate(RankChannel& channel, int miniBatch, int microBatch, const std::vector<float>& update)
{
    BytePacker packer;
    packer.put<int32_t>(miniBatch);
    packer.put<int32_t>(microBatch);
    packer.putVector(update);
    channel.send(0, kStatisticsTag, packer.take());
}

void receiveStatisticUpdates(RankChannel& channel, int miniBatch, int microBatches, SharedRun& shared,
                             const std::function<bool()>& giveUp)
{
    const int ranks = channel.size();
    for (int microBatch = 0; microBatch < microBatches; ++microBatch) {
        const int rank = microBatch % ranks; // (its replica)
        if (rank == 0)
            continue;
        const MessageBytes bytes = receiveOrAbort(channel, rank, kStatisticsTag, giveUp);
        const std::string what = "batch-norm statistics from rank " + std::to_string(rank);
        ByteUnpacker unpacker(bytes, what);
        const int theirMiniBatch = unpacker.get<int32_t>();
        const int theirMicroBatch = unpacker.get<int32_t>();
        if (theirMiniBatch != miniBatch || theirMicroBatch != microBatch)
            throw Error(what + " are of micro-batch " + std::to_string(theirMicroBatch) + " of mini-batch "
                        + std::to_string(theirMiniBatch) + ", expected " + std::to_string(microBatch) + " of "
                        + std::to_string(miniBatch));
        std::vector<float> update = unpacker.getVector<float>();
        const std::lock_guard<std::mutex> lock(shared.control.mutex());
        shared.statisticUpdates[miniBatch][microBatch] = std::move(update);
    }
}

void exchangeAcrossRanks(RankChannel& channel, const Partition& stages, const std::vector<bool>& local, bool replicated,
                         ParameterStore& store, Optimizer& optimizer, SharedRun& shared, Timeline& timeline)
{
    store.copyToHost();
    optimizer.copyStateToHost();
    const int last = int(stages.size()) - 1;
    BytePacker mine;
    for (int s = 0; s <= last; ++s) {
        if (!local[size_t(s)] || (replicated && channel.rank() != 0))
            continue;
        const int64_t parameters = store.unitParameterOffset(stages[size_t(s)].first);
        const int64_t parameterCount = store.unitParameterOffset(stages[size_t(s)].last + 1) - parameters;
        const int64_t buffers = store.unitBufferOffset(stages[size_t(s)].first);
        const int64_t bufferCount = store.unitBufferOffset(stages[size_t(s)].last + 1) - buffers;
        mine.put<int32_t>(s);
        mine.put<int64_t>(parameters);
        mine.putVector(sliceOf(store.hostValues(), parameters, parameterCount));
        mine.put<int64_t>(buffers);
        mine.putVector(sliceOf(store.hostBuffers(), buffers, bufferCount));
        for (const std::vector<float>& state : optimizer.state())
            mine.putVector(sliceOf(state.data(), parameters, parameterCount));
    }
    mine.put<int32_t>(-1);                                  // the end of the stages
    const bool results = replicated || local[size_t(last)]; // (the ranks that compute losses)
    mine.put<int32_t>(results ? 1 : 0);
    if (results)
        for (size_t b = 0; b < shared.results.size(); ++b) {
            mine.put(shared.results[b]);
            mine.putVector(shared.microBatchLosses[b]);
        }
    mine.putVector(timeline.events);
    mine.putVector(timeline.transfers);

    const std::vector<MessageBytes> all = channel.allGather(mine.take());
    for (int rank = 0; rank < int(all.size()); ++rank) {
        if (rank == channel.rank())
            continue;
        const std::string what = "the stages' results from rank " + std::to_string(rank);
        ByteUnpacker theirs(all[size_t(rank)], what);
        for (int s = theirs.get<int32_t>(); s >= 0; s = theirs.get<int32_t>()) {
            if (s > last || local[size_t(s)])
                throw Error(what + ": stage " + std::to_string(s) + " is not that rank's");
            const int64_t parameters = theirs.get<int64_t>();
            const std::vector<float> values = theirs.getVector<float>();
            putSlice(values, store.hostValues(), parameters, store.parameterCount(), what);
            const int64_t buffers = theirs.get<int64_t>();
            putSlice(theirs.getVector<float>(), store.hostBuffers(), buffers, store.bufferCount(), what);
            for (std::vector<float>& state : optimizer.state())
                putSlice(theirs.getVector<float>(), state.data(), parameters, int64_t(state.size()), what);
        }
        if (theirs.get<int32_t>() != 0)
            for (size_t b = 0; b < shared.results.size(); ++b) {
                const StepResult part = theirs.get<StepResult>();
                const std::vector<double> partLosses = theirs.getVector<double>();
                if (partLosses.size() != shared.microBatchLosses[b].size())
                    throw Error(what + ": " + std::to_string(partLosses.size()) + " micro-batch losses, expected "
                                + std::to_string(shared.microBatchLosses[b].size()));
                addResult(shared.results[b], shared.microBatchLosses[b], part, partLosses);
            }
        for (const TimelineEvent& event : theirs.getVector<TimelineEvent>())
            timeline.events.push_back(event);
        for (const TimelineTransfer& transfer : theirs.getVector<TimelineTransfer>())
            timeline.transfers.push_back(transfer);
        if (!theirs.atEnd())
            throw Error(what + ": more bytes than expected");
    }
    store.copyFromHost();
    optimizer.copyStateFromHost();
}

} // namespace lpm::pipeline_detail
