#include "dist/rank_watchdog.h"

#include <cstdio>
#include <thread>
#include <vector>

#include "dist/mpi_check.h"

namespace lpm {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kHeartbeatEvery{250};
constexpr std::chrono::milliseconds kLookEvery{50};
constexpr std::chrono::milliseconds kOwnStall{2000}; // a look this late means this rank stalled
constexpr int kAliveTag = 1;                         // a heartbeat (no bytes)
constexpr int kDoneTag = 2;                          // the sender's work is done: watch it no longer

} // namespace

struct RankWatchdog::Watch {
    struct Neighbour {
        int rank = 0;
        Clock::time_point lastHeard;
        bool done = false;
    };

    MPI_Comm communicator = MPI_COMM_NULL;
    std::vector<std::string> hosts; // by rank
    std::vector<Neighbour> neighbours;
    std::vector<MPI_Request> sends; // heartbeats MPI may still hold
    std::chrono::milliseconds silenceLimit{0};
    SilentHandler onSilent;
    std::jthread thread; // run

    void send(int to, int tag)
    {
        static char nothing = 0; // (zero bytes are sent; MPI wants an address)
        MPI_Request& request = sends.emplace_back(MPI_REQUEST_NULL);
        checkMpi(MPI_Isend(&nothing, 0, MPI_BYTE, to, tag, communicator, &request), "MPI_Isend of a heartbeat");
    }

    void reapSends()
    {
        std::erase_if(sends, [](MPI_Request& request) {
            int flag = 0;
            checkMpi(MPI_Test(&request, &flag, MPI_STATUS_IGNORE), "MPI_Test of a heartbeat");
            return flag != 0;
        });
    }

    // Takes every heartbeat that has arrived (only this thread receives on the communicator).
    void listen(Clock::time_point now)
    {
        for (;;) {
            int flag = 0;
            MPI_Status status{};
            checkMpi(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, communicator, &flag, &status), "MPI_Iprobe of heartbeats");
            if (flag == 0)
                return;
            char nothing = 0;
            checkMpi(
                MPI_Recv(&nothing, 0, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, communicator, MPI_STATUS_IGNORE),
                "MPI_Recv of a heartbeat");
            for (Neighbour& neighbour : neighbours) {
                if (neighbour.rank == status.MPI_SOURCE) {
                    neighbour.lastHeard = now;
                    neighbour.done = neighbour.done || status.MPI_TAG == kDoneTag;
                }
            }
        }
    }

    void run(const std::stop_token& stop)
    {
        try {
            Clock::time_point nextBeat = Clock::now(), lastLook = nextBeat;
            while (!stop.stop_requested()) {
                const Clock::time_point now = Clock::now();
                // This thread itself did not run for a while (this rank was
                // stopped, or the machine is starved): the silence is ours,
                // and the neighbours get the whole limit again.
                if (now - lastLook > kOwnStall)
                    for (Neighbour& neighbour : neighbours)
                        neighbour.lastHeard = now;
                lastLook = now;
                if (now >= nextBeat) {
                    for (const Neighbour& neighbour : neighbours)
                        if (!neighbour.done)
                            send(neighbour.rank, kAliveTag);
                    nextBeat = now + kHeartbeatEvery;
                }
                reapSends();
                listen(now);
                for (const Neighbour& neighbour : neighbours) {
                    const std::chrono::duration<double> silent = now - neighbour.lastHeard;
                    if (!neighbour.done && silent > silenceLimit) {
                        char seconds[32];
                        std::snprintf(seconds, sizeof seconds, "%.1f", silent.count());
                        onSilent("rank " + std::to_string(neighbour.rank) + " (host " + hosts[size_t(neighbour.rank)]
                                 + ") has not answered for " + seconds
                                 + " s (stopped, or its host or the link to it is down)");
                        return;
                    }
                }
                std::this_thread::sleep_for(kLookEvery);
            }
        } catch (const Error& error) {
            onSilent(std::string("the heartbeats between ranks failed: ") + error.what());
        }
    }
};

RankWatchdog::RankWatchdog(MpiSession& session, std::chrono::milliseconds silenceLimit, SilentHandler onSilent)
    : watch_(std::make_unique<Watch>())
{
    if (!session.threadsMayCallMpi())
        throw Error("MPI: this MPI library does not let several threads call it (MPI_THREAD_MULTIPLE), which the "
                    "watch over the ranks needs");
    Watch& watch = *watch_;
    checkMpi(MPI_Comm_dup(MPI_COMM_WORLD, &watch.communicator), "MPI_Comm_dup");
    checkMpi(MPI_Comm_set_errhandler(watch.communicator, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    watch.hosts = session.hosts();
    watch.silenceLimit = silenceLimit;
    watch.onSilent = std::move(onSilent);
    const int rank = session.rank(), size = session.size();
    const Clock::time_point start = Clock::now();
    for (const int neighbour : {(rank + size - 1) % size, (rank + 1) % size})
        if (neighbour != rank && (watch.neighbours.empty() || watch.neighbours.front().rank != neighbour))
            watch.neighbours.push_back({neighbour, start, false});
    watch.thread = std::jthread([&watch](std::stop_token stop) { watch.run(stop); });
}

RankWatchdog::~RankWatchdog()
{
    Watch& watch = *watch_;
    watch.thread.request_stop();
    watch.thread.join();
    try {
        for (const Watch::Neighbour& neighbour : watch.neighbours)
            if (!neighbour.done)
                watch.send(neighbour.rank, kDoneTag);
    } catch (const Error&) {
        // (a neighbour that is gone cannot be told; the job is ending anyway)
    }
    // The sends complete in the background (MPI_Finalize waits for them).
    for (MPI_Request& request : watch.sends)
        if (request != MPI_REQUEST_NULL)
            MPI_Request_free(&request);
    MPI_Comm_free(&watch.communicator);
}

} // namespace lpm
