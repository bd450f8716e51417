// This process as one rank of an MPI job (Open MPI): MPI initialised for the
// length of the session, the rank, the job's size and every rank's host
// name. Every MPI call is checked: a failure throws lpm::Error naming the
// call and MPI's own words. In a build without MPI, making a session throws
// and says how to get it.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace lpm {

// Whether this build has MPI (LPM_WITH_MPI found Open MPI).
bool mpiBuilt();

// How to get MPI into this build, for messages.
std::string mpiMissingHelp();

class MpiSession {
public:
    // Initialises MPI (threads: MPI_THREAD_MULTIPLE if the library offers it,
    // for stage threads that send and receive themselves). Throws lpm::Error
    // in a build without MPI, and when MPI is already initialised.
    MpiSession(int& argc, char**& argv);
    ~MpiSession(); // finalises MPI
    MpiSession(const MpiSession&) = delete;
    MpiSession& operator=(const MpiSession&) = delete;

    int rank() const { return rank_; }
    int size() const { return size_; }
    // Every rank's host name, by rank (the same on every rank: gathered at start).
    const std::vector<std::string>& hosts() const { return hosts_; }
    bool threadsMayCallMpi() const { return threadsMayCallMpi_; } // MPI_THREAD_MULTIPLE provided
    // Ends every rank of the job with `exitCode` (MPI_Abort): for a failure
    // on one rank while others may be waiting for it.
    [[noreturn]] void abortJob(int exitCode);

private:
    int rank_ = 0;
    int size_ = 1;
    std::vector<std::string> hosts_;
    bool threadsMayCallMpi_ = false;
};

} // namespace lpm
