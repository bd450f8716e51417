#include "dist/mpi_session.h"

#include <unistd.h>

#include <array>
#include <cstdlib>

#include "dist/mpi_check.h"

namespace lpm {

bool mpiBuilt()
{
    return true;
}

std::string mpiMissingHelp()
{
    return "";
}

MpiSession::MpiSession(int& argc, char**& argv)
{
    int initialised = 0;
    checkMpi(MPI_Initialized(&initialised), "MPI_Initialized");
    if (initialised)
        throw Error("MPI: already initialised in this process; one MpiSession at a time");
    int provided = MPI_THREAD_SINGLE;
    checkMpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided), "MPI_Init_thread");
    threadsMayCallMpi_ = provided == MPI_THREAD_MULTIPLE;
    try {
        // Errors come back as codes, to be checked, instead of ending the job.
        checkMpi(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
        checkMpi(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
        checkMpi(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
        constexpr int kNameBytes = 256;
        std::array<char, kNameBytes> name{};
        if (gethostname(name.data(), name.size() - 1) != 0)
            name = {'?'};
        std::vector<char> names(size_t(size_) * kNameBytes);
        checkMpi(MPI_Allgather(name.data(), kNameBytes, MPI_CHAR, names.data(), kNameBytes, MPI_CHAR, MPI_COMM_WORLD),
                 "MPI_Allgather of the host names");
        for (int rank = 0; rank < size_; ++rank)
            hosts_.emplace_back(names.data() + size_t(rank) * kNameBytes);
    } catch (...) {
        MPI_Finalize();
        throw;
    }
}

void MpiSession::abortJob(int exitCode)
{
    MPI_Abort(MPI_COMM_WORLD, exitCode);
    std::_Exit(exitCode); // (MPI_Abort does not return; should it, this rank ends anyway)
}

MpiSession::~MpiSession()
{
    MPI_Finalize(); // (its result cannot be reported from a destructor)
}

} // namespace lpm
