#include "dist/mpi_channel.h"

#include <chrono>
#include <climits>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

#include "dist/mpi_check.h"

namespace lpm {

namespace {

using Clock = std::chrono::steady_clock;

// Waits until `done()` (called under no lock of ours), asking `giveUp` about
// once a millisecond: spins with yields first (a neighbour's message often
// comes within microseconds), then naps of 20 us (other ranks may share
// this core). False when it gave up.
template <typename Done>
bool pollUntil(Done done, const std::function<bool()>& giveUp)
{
    const Clock::time_point start = Clock::now();
    Clock::time_point nextAsk = start + std::chrono::milliseconds(1);
    while (!done()) {
        const Clock::time_point now = Clock::now();
        if (now >= nextAsk) {
            if (giveUp && giveUp())
                return false;
            nextAsk = now + std::chrono::milliseconds(1);
        }
        if (now - start < std::chrono::microseconds(200))
            std::this_thread::yield();
        else
            std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    return true;
}

int messageCount(size_t bytes, const char* what)
{
    if (bytes > size_t(INT_MAX))
        throw Error(std::string("MPI: ") + what + " of " + std::to_string(bytes)
                    + " bytes is larger than one MPI message carries here (2 GiB)");
    return int(bytes);
}

class MpiChannel final : public RankChannel {
public:
    explicit MpiChannel(MpiSession& session) : rank_(session.rank()), size_(session.size())
    {
        if (!session.threadsMayCallMpi())
            throw Error("MPI: this MPI library does not let several threads call it (MPI_THREAD_MULTIPLE), which "
                        "the pipeline's stage threads need");
        checkMpi(MPI_Comm_dup(MPI_COMM_WORLD, &communicator_), "MPI_Comm_dup");
        checkMpi(MPI_Comm_set_errhandler(communicator_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
        progress_ = std::jthread([this](std::stop_token stop) { progressSends(stop); });
    }

    ~MpiChannel() override
    {
        progress_.request_stop();
        progress_.join();
        // Sends still in flight finish before their buffers go (a failed run
        // ends the whole job instead of coming here).
        for (Pending& pending : pending_)
            MPI_Wait(&pending.request, MPI_STATUS_IGNORE);
        MPI_Comm_free(&communicator_);
    }

    int rank() const override { return rank_; }
    int size() const override { return size_; }

    void send(int to, int tag, MessageBytes bytes) override
    {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            reapFinishedSends();
            Pending& pending = pending_.emplace_back();
            pending.bytes = std::move(bytes);
            checkMpi(MPI_Isend(pending.bytes.data(), messageCount(pending.bytes.size(), "a message"), MPI_BYTE, to, tag,
                               communicator_, &pending.request),
                     "MPI_Isend");
        }
        sendsPending_.notify_all();
    }

    std::optional<MessageBytes> receive(int from, int tag, const std::function<bool()>& giveUp) override
    {
        MPI_Status status{};
        MPI_Message message = MPI_MESSAGE_NULL; // matched: no other receive can take it
        if (!pollUntil([&] { return matched(from, tag, message, status); }, giveUp))
            return std::nullopt;
        return take(message, status);
    }

    std::optional<MessageBytes> tryReceive(int from, int tag) override
    {
        MPI_Status status{};
        MPI_Message message = MPI_MESSAGE_NULL;
        if (!matched(from, tag, message, status))
            return std::nullopt;
        return take(message, status);
    }

    bool barrier(const std::function<bool()>& giveUp) override
    {
        MPI_Request request = MPI_REQUEST_NULL;
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            checkMpi(MPI_Ibarrier(communicator_, &request), "MPI_Ibarrier");
        }
        // (given up, the barrier is left pending: the job is ending)
        return pollUntil(
            [&] {
                const std::lock_guard<std::mutex> lock(mutex_);
                int flag = 0;
                checkMpi(MPI_Test(&request, &flag, MPI_STATUS_IGNORE), "MPI_Test of a barrier");
                return flag != 0;
            },
            giveUp);
    }

    std::vector<MessageBytes> allGather(const MessageBytes& mine) override
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        const long long size = static_cast<long long>(mine.size());
        std::vector<long long> sizes(static_cast<size_t>(size_));
        checkMpi(MPI_Allgather(&size, 1, MPI_LONG_LONG, sizes.data(), 1, MPI_LONG_LONG, communicator_),
                 "MPI_Allgather of the sizes");
        std::vector<int> counts, offsets;
        size_t total = 0;
        for (long long each : sizes) {
            offsets.push_back(messageCount(total, "an all-gather"));
            counts.push_back(messageCount(size_t(each), "an all-gather's part"));
            total += size_t(each);
        }
        messageCount(total, "an all-gather");
        MessageBytes all(total);
        checkMpi(MPI_Allgatherv(mine.data(), counts[size_t(rank_)], MPI_BYTE, all.data(), counts.data(), offsets.data(),
                                MPI_BYTE, communicator_),
                 "MPI_Allgatherv");
        std::vector<MessageBytes> parts;
        for (size_t r = 0; r < sizes.size(); ++r)
            parts.emplace_back(all.begin() + offsets[r], all.begin() + offsets[r] + counts[r]);
        return parts;
    }

private:
    struct Pending {
        MessageBytes bytes;
        MPI_Request request = MPI_REQUEST_NULL;
    };

    // MPI moves a large message's data (its rendezvous) only while some MPI
    // call runs on the sending rank, and the stage that sent it is computing
    // meanwhile: this thread makes those calls while sends are in flight,
    // every 50 us, and sleeps while none is.
    void progressSends(std::stop_token stop)
    {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stop.stop_requested()) {
            if (pending_.empty()) {
                sendsPending_.wait(lock, stop, [this] { return !pending_.empty(); });
                continue;
            }
            try {
                reapFinishedSends();
            } catch (const Error&) {
                return; // (the stage's next call meets the same failure, and reports it)
            }
            lock.unlock();
            std::this_thread::sleep_for(std::chrono::microseconds(50));
            lock.lock();
        }
    }

    // Whether a message from `from` under `tag` has arrived; if so, it is
    // matched to `message` (no other receive can take it).
    bool matched(int from, int tag, MPI_Message& message, MPI_Status& status)
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        reapFinishedSends();
        int flag = 0;
        checkMpi(MPI_Improbe(from, tag, communicator_, &flag, &message, &status), "MPI_Improbe");
        return flag != 0;
    }

    MessageBytes take(MPI_Message& message, const MPI_Status& status)
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        int count = 0;
        checkMpi(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
        MessageBytes bytes(static_cast<size_t>(count));
        checkMpi(MPI_Mrecv(bytes.data(), count, MPI_BYTE, &message, MPI_STATUS_IGNORE), "MPI_Mrecv");
        return bytes;
    }

    void reapFinishedSends() // with mutex_ held
    {
        for (auto pending = pending_.begin(); pending != pending_.end();) {
            int flag = 0;
            checkMpi(MPI_Test(&pending->request, &flag, MPI_STATUS_IGNORE), "MPI_Test of a send");
            pending = flag ? pending_.erase(pending) : std::next(pending);
        }
    }

    int rank_, size_;
    MPI_Comm communicator_ = MPI_COMM_NULL;
    std::mutex mutex_;
    std::condition_variable_any sendsPending_;
    std::list<Pending> pending_; // (a list: MPI holds the buffers' addresses)
    std::jthread progress_;      // progressSends
};

} // namespace

std::unique_ptr<RankChannel> makeMpiChannel(MpiSession& session)
{
    return std::make_unique<MpiChannel>(session);
}

} // namespace lpm
