// Catches a rank that stops answering (DESIGN §1.6): stopped (SIGSTOP), its
// host frozen or its link down. A rank that dies is mpirun's to notice and a
// rank that throws ends the job itself (MPI_Abort), but a silent rank would
// leave the others waiting for its messages forever.
//
// Each rank watches its neighbours in rank order (r − 1 and r + 1, wrapping
// around): a thread of its own sends each of them a heartbeat every 250 ms
// and notes theirs. When a neighbour has been silent for longer than the
// limit, `onSilent` is called once, from that thread, with a sentence that
// names the rank, its host and how long it has been silent; it is expected
// to end the job. A rank that finishes its work says so as its watchdog goes
// (the destructor), and its neighbours stop watching it. Heartbeats travel
// on a communicator of their own, never behind the stages' messages.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "dist/mpi_session.h"

namespace lpm {

class RankWatchdog {
public:
    using SilentHandler = std::function<void(const std::string& what)>;

    // A collective: every rank of the job makes its watchdog at the same
    // point. Throws lpm::Error in a build without MPI, and when MPI lets only
    // the main thread call it.
    RankWatchdog(MpiSession& session, std::chrono::milliseconds silenceLimit, SilentHandler onSilent);
    ~RankWatchdog(); // tells the neighbours this rank is done
    RankWatchdog(const RankWatchdog&) = delete;
    RankWatchdog& operator=(const RankWatchdog&) = delete;

private:
    struct Watch;
    std::unique_ptr<Watch> watch_;
};

} // namespace lpm
