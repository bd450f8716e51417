#include "backend/cpu/thread_team.h"

#include <algorithm>
#include <chrono>

namespace lpm {

namespace {
// How long a member watches for the next loop, or the caller for the end of
// this one, before blocking on a condition variable. A step runs a hundred or
// more loops in quick succession; a futex wake-up costs 12-22 us each way on
// these machines against 2-3 us spinning (bench_handover).
constexpr std::chrono::microseconds kSpin{50};

inline void pauseCpu()
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

// Spins for at most kSpin until done() holds; returns done().
template <typename Done>
bool spinUntil(Done done)
{
    const auto deadline = std::chrono::steady_clock::now() + kSpin;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        for (int i = 0; i < 64 && !done(); ++i)
            pauseCpu();
    }
    return true;
}

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
        generation_.fetch_add(1, std::memory_order_release); // ends the workers' spinning
    }
    wake_.notify_all();
    for (std::thread& worker : workers_)
        worker.join();
}

void ThreadTeam::parallelFor(int64_t count, const std::function<void(int64_t, int64_t, int)>& body)
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
        pending_.store(size_ - 1, std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    auto [begin, end] = chunkOf(count, size_, 0);
    body(begin, end, 0);
    const auto finished = [this] { return pending_.load(std::memory_order_acquire) == 0; };
    if (!spinUntil(finished)) {
        std::unique_lock lock(mutex_);
        done_.wait(lock, finished);
    }
}

void ThreadTeam::workerLoop(int member)
{
    int64_t seen = 0;
    while (true) {
        const std::function<void(int64_t, int64_t, int)>* body;
        int64_t count;
        spinUntil([&] { return generation_.load(std::memory_order_acquire) != seen; });
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || generation_.load() != seen; });
            if (stopping_)
                return;
            seen = generation_.load();
            body = body_;
            count = count_;
        }
        auto [begin, end] = chunkOf(count, size_, member);
        if (begin < end)
            (*body)(begin, end, member);
        {
            std::lock_guard lock(mutex_); // so that a caller about to block cannot miss it
            pending_.fetch_sub(1, std::memory_order_release);
        }
        done_.notify_one();
    }
}

} // namespace lpm
