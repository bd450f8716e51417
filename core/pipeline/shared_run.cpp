#include "pipeline/shared_run.h"

#include <algorithm>

#include "tensor/error.h"

namespace lpm::pipeline_detail {

SharedRun::SharedRun(int stages, int workers, int miniBatches, int microBatches, int linkCapacity,
                     std::chrono::microseconds spin, const PipelineExecutor::TransportFactory& makeTransport)
    : control(workers, miniBatches, spin),
      transport(makeTransport ? makeTransport(control, stages, linkCapacity)
                              : std::make_unique<InProcessTransport>(control, stages, linkCapacity)),
      updated(size_t(stages), 0), results(size_t(miniBatches)),
      microBatchLosses(size_t(miniBatches), std::vector<double>(size_t(microBatches), 0.0))
{
    if (!transport)
        throw InvalidArgument("executor: the transport factory made no transport");
}

std::shared_ptr<const Batch> SharedRun::batch(int miniBatch, const std::function<Batch(int64_t)>& batchAt, int64_t step)
{
    const std::lock_guard<std::mutex> lock(batchMutex_);
    if (batchMiniBatch_ != miniBatch) {
        batch_ = std::make_shared<const Batch>(batchAt(step));
        batchMiniBatch_ = miniBatch;
    }
    return batch_;
}

bool SharedRun::snapshotDue(int miniBatch, int64_t step)
{
    const std::lock_guard<std::mutex> lock(control.mutex());
    if (snapshotDue_.empty())
        snapshotDue_.assign(results.size(), -1);
    signed char& due = snapshotDue_[size_t(miniBatch)];
    if (due < 0)
        due = snapshotRequest->due(step) ? 1 : 0;
    return due == 1;
}

void SharedRun::addSnapshotSlice(int miniBatch, int stage, std::vector<float> values, std::vector<float> buffers)
{
    const std::lock_guard<std::mutex> lock(control.mutex());
    PendingSnapshot& pending = pendingSnapshots_[miniBatch];
    pending.values.resize(size_t(snapshotContributors));
    pending.buffers.resize(size_t(snapshotContributors));
    pending.values[size_t(stage)] = std::move(values);
    pending.buffers[size_t(stage)] = std::move(buffers);
    ++pending.contributed;
}

std::optional<WeightsSnapshot> SharedRun::takeSnapshot(int miniBatch, int64_t step)
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
                    + std::to_string(pending.contributed) + " of " + std::to_string(snapshotContributors) + " slices");
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

} // namespace lpm::pipeline_detail
