// What needs MPI, in a build without it: says how to get it.
#include "dist/link_probe.h"
#include "dist/mpi_channel.h"
#include "dist/mpi_session.h"
#include "dist/rank_watchdog.h"

#include <cstdlib>

#include "tensor/error.h"

namespace lpm {

bool mpiBuilt()
{
    return false;
}

std::string mpiMissingHelp()
{
    return "this build has no MPI: install Open MPI (scripts/install-deps.sh installs openmpi-bin and "
           "libopenmpi-dev) and build again";
}

MpiSession::MpiSession(int&, char**&)
{
    throw Error(mpiMissingHelp());
}

MpiSession::~MpiSession() = default;

void MpiSession::abortJob(int exitCode)
{
    std::_Exit(exitCode); // (no session is ever made in this build)
}

std::unique_ptr<RankChannel> makeMpiChannel(MpiSession&)
{
    throw Error(mpiMissingHelp());
}

std::vector<LinkProbe> probeNeighbourLinks(MpiSession&, const LinkProbeOptions&)
{
    throw Error(mpiMissingHelp());
}

struct RankWatchdog::Watch {};

RankWatchdog::RankWatchdog(MpiSession&, std::chrono::milliseconds, SilentHandler)
{
    throw Error(mpiMissingHelp());
}

RankWatchdog::~RankWatchdog() = default;

} // namespace lpm
