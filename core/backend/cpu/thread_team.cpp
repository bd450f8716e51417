#include "backend/cpu/thread_team.h"

#include <algorithm>

namespace lpm {

namespace {
// The chunk of [0, count) that member `member` of `size` owns.
std::pair<int64_t, int64_t> chunkOf(int64_t count, int size, int member)
{
    int64_t base = count / size, extra = count % size;
    int64_t begin = member * base + std::min<int64_t>(member, extra);
    return {begin, begin + base + (member < extra ? 1 : 0)};
}
} // namespace

ThreadTeam::ThreadTeam(int threads) : size_(std::max(threads, 1))
{
    for (int member = 1; member < size_; ++member)
        workers_.emplace_back([this, member] { workerLoop(member); });
}

ThreadTeam::~ThreadTeam()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& worker : workers_)
        worker.join();
}

void ThreadTeam::parallelFor(int64_t count,
                             const std::function<void(int64_t, int64_t, int)>& body)
{
    if (count <= 0)
        return;
    if (size_ == 1 || count == 1) {
        body(0, count, 0);
        return;
    }
    {
        std::lock_guard lock(mutex_);
        body_ = &body;
        count_ = count;
        pending_ = size_ - 1;
        ++generation_;
    }
    wake_.notify_all();
    auto [begin, end] = chunkOf(count, size_, 0);
    body(begin, end, 0);
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    body_ = nullptr;
}

void ThreadTeam::workerLoop(int member)
{
    int64_t seen = 0;
    while (true) {
        const std::function<void(int64_t, int64_t, int)>* body;
        int64_t count;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
            if (stopping_)
                return;
            seen = generation_;
            body = body_;
            count = count_;
        }
        auto [begin, end] = chunkOf(count, size_, member);
        if (begin < end)
            (*body)(begin, end, member);
        {
            std::lock_guard lock(mutex_);
            --pending_;
        }
        done_.notify_one();
    }
}

} // namespace lpm
