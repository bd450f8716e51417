// A fixed team of worker threads for fork–join loops inside one CPU backend.
// The calling thread takes part as member 0, so a team of one spawns nothing.
// Work is split into contiguous, equal chunks decided by the count alone, so a
// loop whose chunks write disjoint outputs gives the same result for any team size.
#pragma once

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
    void parallelFor(int64_t count,
                     const std::function<void(int64_t begin, int64_t end, int member)>& body);

private:
    void workerLoop(int member);

    int size_;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    const std::function<void(int64_t, int64_t, int)>* body_ = nullptr;
    int64_t count_ = 0;
    int64_t generation_ = 0;
    int pending_ = 0;
    bool stopping_ = false;
};

} // namespace lpm
