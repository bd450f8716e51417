// A fixed team of worker threads for fork–join loops inside one CPU backend.
// The calling thread takes part as member 0, so a team of one spawns nothing.
// Members spin for 50 us between loops before they block, so that a step's
// many short loops do not each pay two futex wake-ups.
// Work is split into contiguous, equal chunks decided by the count alone, so a
// loop whose chunks write disjoint outputs gives the same result for any team size.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lpm {

class ThreadTeam {
public:
    explicit ThreadTeam(int threads);
    ~ThreadTeam();
    ThreadTeam(const ThreadTeam&) = delete;
    ThreadTeam& operator=(const ThreadTeam&) = delete;

    int size() const { return size_; }

    // Calls body(begin, end, member) on disjoint ranges covering [0, count);
    // returns when all are done. Not re-entrant; call from one thread at a time.
    void parallelFor(int64_t count, const std::function<void(int64_t begin, int64_t end, int member)>& body);

private:
    void workerLoop(int member);

    int size_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    const std::function<void(int64_t, int64_t, int)>* body_ = nullptr;
    int64_t count_ = 0;
    std::atomic<int64_t> generation_{0}; // one more per loop; written with mutex_ held
    std::atomic<int> pending_{0};        // members still running this loop
    bool stopping_ = false;
};

} // namespace lpm
