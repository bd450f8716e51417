// A job's ranks played by threads of one process, for tests of what runs
// across ranks (RankChannel) without MPI: ThreadRanks holds the messages,
// each rank's channel() talks through it. Sends never block; a receive and a
// barrier wait, asking their giveUp about every millisecond.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "dist/rank_channel.h"

namespace lpm {

class ThreadRanks {
public:
    explicit ThreadRanks(int size) : size_(size)
    {
        for (int rank = 0; rank < size; ++rank)
            channels_.push_back(std::make_unique<Channel>(*this, rank));
    }
    RankChannel& channel(int rank) { return *channels_[size_t(rank)]; }

private:
    class Channel final : public RankChannel {
    public:
        Channel(ThreadRanks& ranks, int rank) : ranks_(ranks), rank_(rank) {}
        int rank() const override { return rank_; }
        int size() const override { return ranks_.size_; }
        void send(int to, int tag, MessageBytes bytes) override
        {
            {
                const std::lock_guard<std::mutex> lock(ranks_.mutex_);
                ranks_.queues_[{rank_, to, tag}].push_back(std::move(bytes));
            }
            ranks_.changed_.notify_all();
        }
        std::optional<MessageBytes> receive(int from, int tag, const std::function<bool()>& giveUp) override
        {
            std::unique_lock<std::mutex> lock(ranks_.mutex_);
            std::deque<MessageBytes>& queue = ranks_.queues_[{from, rank_, tag}];
            if (!ranks_.waitUntil(
                    lock, [&] { return !queue.empty(); }, giveUp))
                return std::nullopt;
            MessageBytes bytes = std::move(queue.front());
            queue.pop_front();
            return bytes;
        }
        std::optional<MessageBytes> tryReceive(int from, int tag) override
        {
            const std::lock_guard<std::mutex> lock(ranks_.mutex_);
            std::deque<MessageBytes>& queue = ranks_.queues_[{from, rank_, tag}];
            if (queue.empty())
                return std::nullopt;
            MessageBytes bytes = std::move(queue.front());
            queue.pop_front();
            return bytes;
        }
        bool barrier(const std::function<bool()>& giveUp) override
        {
            std::unique_lock<std::mutex> lock(ranks_.mutex_);
            const int64_t generation = ranks_.barrierPassed_;
            if (++ranks_.barrierArrived_ == ranks_.size_) {
                ranks_.barrierArrived_ = 0;
                ++ranks_.barrierPassed_;
                ranks_.changed_.notify_all();
                return true;
            }
            return ranks_.waitUntil(
                lock, [&] { return ranks_.barrierPassed_ > generation; }, giveUp);
        }
        std::vector<MessageBytes> allGather(const MessageBytes& mine) override
        {
            std::unique_lock<std::mutex> lock(ranks_.mutex_);
            const int64_t generation = ranks_.gathersDone_;
            ranks_.gathering_.resize(size_t(ranks_.size_));
            ranks_.gathering_[size_t(rank_)] = mine;
            if (++ranks_.gathered_ == ranks_.size_) {
                ranks_.gathered_ = 0;
                ranks_.lastGather_ = std::move(ranks_.gathering_);
                ranks_.gathering_.clear();
                ++ranks_.gathersDone_;
                ranks_.changed_.notify_all();
            }
            ranks_.waitUntil(lock, [&] { return ranks_.gathersDone_ > generation; }, {});
            return ranks_.lastGather_; // (the next gather cannot end before every rank copied this one)
        }

    private:
        ThreadRanks& ranks_;
        int rank_;
    };

    template <typename Ready>
    bool waitUntil(std::unique_lock<std::mutex>& lock, Ready ready, const std::function<bool()>& giveUp)
    {
        while (!ready()) {
            if (giveUp) { // (asked without the lock: it may use the channel)
                lock.unlock();
                const bool givenUp = giveUp();
                lock.lock();
                if (givenUp)
                    return false;
            }
            changed_.wait_for(lock, std::chrono::milliseconds(1));
        }
        return true;
    }

    int size_;
    std::vector<std::unique_ptr<Channel>> channels_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::tuple<int, int, int>, std::deque<MessageBytes>> queues_; // (from, to, tag) → messages in order
    int barrierArrived_ = 0;
    int64_t barrierPassed_ = 0;
    std::vector<MessageBytes> gathering_, lastGather_;
    int gathered_ = 0;
    int64_t gathersDone_ = 0;
};

} // namespace lpm
