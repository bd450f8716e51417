// The shared state of one pipelined run that every stage worker and the
// transport consult: the first failure (which aborts every stage), the last
// mini-batch still to be trained (a stop request lowers it), and the flush
// barriers. One mutex and one condition variable guard it all: a pipeline has
// a handful of stages, and every wait must also wake on abort and stop.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tensor/error.h"

namespace lpm {

// Thrown inside a stage worker when another stage failed: the worker unwinds
// and exits; the run reports the first failure, not this.
class RunAborted : public Error {
public:
    RunAborted() : Error("pipeline run aborted") {}
};

class RunControl {
public:
    // `spin`: how long a waiter watches for a change before it blocks (see
    // spinWhileNotReady); zero blocks at once. Worth it only when every
    // waiting thread has a core of its own.
    RunControl(int stages, int miniBatches, std::chrono::microseconds spin = std::chrono::microseconds(0));

    std::mutex& mutex() { return mutex_; }
    // Waits (with `lock` held on mutex()) until `ready()`; throws RunAborted
    // when the run is aborted first.
    template <typename Predicate>
    void wait(std::unique_lock<std::mutex>& lock, Predicate ready)
    {
        spinWhileNotReady(lock, [&] { return aborted_ || ready(); });
        changed_.wait(lock, [&] { return aborted_ || ready(); });
        if (aborted_)
            throw RunAborted();
    }
    // Waits (with `lock` held) until `ready()`, the run is aborted, or
    // `timeout` passed; never throws. For the thread that watches a run.
    template <typename Duration, typename Predicate>
    void waitFor(std::unique_lock<std::mutex>& lock, Duration timeout, Predicate ready)
    {
        changed_.wait_for(lock, timeout, [&] { return aborted_ || ready(); });
    }
    // Wakes every waiter; call after changing what they wait for.
    void notifyAll()
    {
        changes_.fetch_add(1, std::memory_order_release);
        changed_.notify_all();
    }

    // Records the first failure (later ones are consequences) and aborts the run.
    void fail(std::exception_ptr error);
    bool abortedLocked() const { return aborted_; } // call with mutex() held
    bool aborted() const;                           // (takes the lock)
    // The first failure, or null.
    std::exception_ptr failure() const;

    // A stop: mini-batches no stage has begun to update are cancelled (the
    // ones begun are finished everywhere), so the run ends at the last
    // mini-batch some stage updated. Stages abandon cancelled work at their
    // next action; what it changed is rolled back by the executor.
    void stopSoon();
    // A stage's update of `miniBatch`: false when it is cancelled; true
    // otherwise, and from then on a stop no longer cancels it.
    bool claimUpdate(int miniBatch);

    // Across ranks, where no rank sees the others' updates, the job stops
    // where nothing was left half done: at the last mini-batch some stage
    // took samples for (the first stage; dp: every replica, which starts a
    // mini-batch only once rank 0's has). startMiniBatch: false when
    // `miniBatch` is cancelled, true otherwise (and it counts as begun).
    // stopAtStarted (rank 0): cancels every mini-batch after the last begun
    // and returns that last (−1: none). stopAt: cancels those after `last`
    // (another rank's, as rank 0 decided).
    bool startMiniBatch(int miniBatch);
    int stopAtStarted();
    void stopAt(int last);
    // True when mini-batch `miniBatch` will not be trained (call with the lock held).
    bool cancelledLocked(int miniBatch) const { return miniBatch > lastMiniBatch_; }
    bool cancelled(int miniBatch) const;
    int lastMiniBatch() const;

    // The barriers of one mini-batch, each crossed once by every stage.
    enum class Barrier {
        Flushed,         // gpipe's and 1f1b's Flush; dp: every replica holds the new weights
        BackwardsDone,   // dp: every replica's backwards are done, the all-reduce may read
        GradientsSummed, // dp: the all-reduce's sum is complete
        SharesUpdated,   // dp: every replica's share of the weights is updated
        NormsTaken,      // dp with gradient clipping: every replica has read the summed gradients' norm
    };
    static constexpr int kBarriersPerMiniBatch = 5;

    // Past one process: the last of this process's workers to arrive at a
    // barrier calls `acrossRanks` (without the lock), which returns true once
    // every rank's workers have arrived, false when this run was aborted
    // meanwhile; only then does the barrier open. Before the run.
    void setRankBarrier(std::function<bool()> acrossRanks) { rankBarrier_ = std::move(acrossRanks); }

    // Barrier `barrier` of mini-batch `miniBatch` across every stage. Returns
    // true when all stages arrived, false when a stop cancelled the
    // mini-batch first (stages that started it before the stop wait here
    // for ones that never will).
    bool arriveAndWait(int miniBatch, Barrier barrier);

private:
    // Before blocking, a waiter watches changes_ for up to spin_ with the
    // lock released: a stage waiting for its neighbour's next message often
    // gets it within that time, and then pays neither the condition
    // variable's wake-up (a system call, and on a VM a halted virtual core
    // to restart: 12-22 us one way against 2-3 us spinning, bench_handover)
    // nor a cold core. Returns with `lock` held.
    template <typename Predicate>
    void spinWhileNotReady(std::unique_lock<std::mutex>& lock, Predicate ready)
    {
        if (spin_.count() == 0 || ready())
            return;
        const auto deadline = std::chrono::steady_clock::now() + spin_;
        while (std::chrono::steady_clock::now() < deadline) {
            const uint64_t seen = changes_.load(std::memory_order_acquire);
            lock.unlock();
            while (changes_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < deadline)
                pauseCpu();
            lock.lock();
            if (ready())
                return;
        }
    }
    static void pauseCpu();

    std::chrono::microseconds spin_;
    std::atomic<uint64_t> changes_{0}; // notifyAll calls so far
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    bool aborted_ = false;
    std::exception_ptr failure_;
    int lastMiniBatch_;
    int claimedUpdates_ = 0;     // one past the highest mini-batch any stage began to update
    int startedMiniBatches_ = 0; // one past the highest mini-batch a stage took samples for
    int stages_;                 // the workers of this process that cross each barrier
    std::function<bool()> rankBarrier_;
    std::map<int64_t, int> arrived_; // per barrier (kBarriersPerMiniBatch · mini-batch + barrier): stages arrived
};

} // namespace lpm
