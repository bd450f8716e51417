#include "pipeline/run_control.h"

#include <algorithm>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace lpm {

RunControl::RunControl(int stages, int miniBatches, std::chrono::microseconds spin)
    : spin_(spin), lastMiniBatch_(miniBatches - 1), stages_(stages)
{
}

void RunControl::pauseCpu()
{
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
}

void RunControl::fail(std::exception_ptr error)
{
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (!failure_)
            failure_ = std::move(error);
        aborted_ = true;
    }
    notifyAll();
}

std::exception_ptr RunControl::failure() const
{
    const std::lock_guard<std::mutex> lock(mutex_);
    return failure_;
}

bool RunControl::aborted() const
{
    const std::lock_guard<std::mutex> lock(mutex_);
    return aborted_;
}

void RunControl::stopSoon()
{
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        lastMiniBatch_ = std::min(lastMiniBatch_, claimedUpdates_ - 1);
    }
    notifyAll();
}

bool RunControl::claimUpdate(int miniBatch)
{
    const std::lock_guard<std::mutex> lock(mutex_);
    if (miniBatch > lastMiniBatch_)
        return false;
    claimedUpdates_ = std::max(claimedUpdates_, miniBatch + 1);
    return true;
}

bool RunControl::startMiniBatch(int miniBatch)
{
    const std::lock_guard<std::mutex> lock(mutex_);
    if (miniBatch > lastMiniBatch_)
        return false;
    startedMiniBatches_ = std::max(startedMiniBatches_, miniBatch + 1);
    return true;
}

int RunControl::stopAtStarted()
{
    int last = 0;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        lastMiniBatch_ = std::min(lastMiniBatch_, startedMiniBatches_ - 1);
        last = lastMiniBatch_;
    }
    notifyAll();
    return last;
}

void RunControl::stopAt(int last)
{
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        lastMiniBatch_ = std::min(lastMiniBatch_, last);
    }
    notifyAll();
}

bool RunControl::cancelled(int miniBatch) const
{
    const std::lock_guard<std::mutex> lock(mutex_);
    return miniBatch > lastMiniBatch_;
}

int RunControl::lastMiniBatch() const
{
    const std::lock_guard<std::mutex> lock(mutex_);
    return lastMiniBatch_;
}

bool RunControl::arriveAndWait(int miniBatch, Barrier barrier)
{
    std::unique_lock<std::mutex> lock(mutex_);
    int& arrived = arrived_[kBarriersPerMiniBatch * int64_t(miniBatch)
                            + int(barrier)]; // map references stay valid as keys are added
    // Open once every worker here arrived, and (across ranks) once the other ranks' did too.
    const int open = stages_ + (rankBarrier_ ? 1 : 0);
    if (++arrived == stages_ && rankBarrier_) {
        lock.unlock();
        const bool passed = rankBarrier_();
        lock.lock();
        if (!passed)
            throw RunAborted();
        ++arrived;
    }
    if (arrived == open)
        notifyAll();
    wait(lock, [&] { return arrived == open || miniBatch > lastMiniBatch_; });
    return arrived == open;
}

} // namespace lpm
