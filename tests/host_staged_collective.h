// HostStagedCollective: a ReplicaCollective for tests, between backends that
// cannot read each other's memory (OffHostCpuBackends on pretend GPUs of
// their own). Each operation copies every rank's data to the host, meets the
// other ranks there, and copies the result back; sums run in rank order, the
// order dp on host memory sums in, so the results are its bits. A rank
// waiting when abort() comes throws RunAborted. failAllReduceOnRank makes
// that rank's first all-reduce throw instead (an injected failure).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend/replica_collective.h"
#include "pipeline/run_control.h"

namespace lpm {

class HostStagedCollective final : public ReplicaCollective {
public:
    explicit HostStagedCollective(const std::vector<Backend*>& ranks, int failAllReduceOnRank = -1)
        : ranks_(ranks), staged_(ranks.size()), failRank_(failAllReduceOnRank)
    {
    }

    void allReduceSum(int rank, float* data, int64_t count) override
    {
        int failing = rank;
        if (failRank_.compare_exchange_strong(failing, -1)) // (every rank reads it: atomic)
            throw std::runtime_error("injected failure in the all-reduce of rank " + std::to_string(rank));
        stage(rank, data, count);
        std::vector<float> sum = staged_[0];
        for (size_t r = 1; r < staged_.size(); ++r)
            for (size_t i = 0; i < sum.size(); ++i)
                sum[i] += staged_[r][i];
        ranks_[size_t(rank)]->copyFromHost(data, sum.data(), int64_t(sizeof(float)) * count);
        meet(); // nobody stages the next operation before every rank has read this one
    }

    void broadcastFromFirst(int rank, float* data, int64_t count) override
    {
        stage(rank, data, count);
        if (rank != 0)
            ranks_[size_t(rank)]->copyFromHost(data, staged_[0].data(), int64_t(sizeof(float)) * count);
        meet();
    }

    void abort() noexcept override
    {
        const std::lock_guard lock(mutex_);
        aborted_ = true;
        changed_.notify_all();
    }

    int64_t meetings = 0; // of every rank, so far (read after the run)

private:
    void stage(int rank, const float* data, int64_t count)
    {
        staged_[size_t(rank)].resize(size_t(count));
        ranks_[size_t(rank)]->copyToHost(staged_[size_t(rank)].data(), data, int64_t(sizeof(float)) * count);
        meet();
    }

    // A barrier of every rank that abort() opens.
    void meet()
    {
        std::unique_lock lock(mutex_);
        const int64_t generation = generation_;
        if (++arrived_ == int(ranks_.size())) {
            arrived_ = 0;
            ++generation_;
            ++meetings;
            changed_.notify_all();
            return;
        }
        changed_.wait(lock, [&] { return aborted_ || generation_ != generation; });
        if (generation_ == generation)
            throw RunAborted();
    }

    std::vector<Backend*> ranks_;
    std::vector<std::vector<float>> staged_;
    std::atomic<int> failRank_;
    std::mutex mutex_;
    std::condition_variable changed_;
    int arrived_ = 0;
    int64_t generation_ = 0;
    bool aborted_ = false;
};

} // namespace lpm
