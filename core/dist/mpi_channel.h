// A RankChannel over MPI (Open MPI): this job's ranks, on a communicator of
// its own (so that its tags meet no one else's). Sends are non-blocking
// (MPI_Isend; their buffers kept until MPI is done with them); a receive
// polls (MPI_Iprobe) so that it can give up; every call is checked and made
// under one lock, so stage threads may share the channel.
#pragma once

#include <memory>

#include "dist/mpi_session.h"
#include "dist/rank_channel.h"

namespace lpm {

// Throws lpm::Error in a build without MPI (saying how to get it), and when
// MPI lets only the main thread call it (the stages call from their own).
std::unique_ptr<RankChannel> makeMpiChannel(MpiSession& session);

} // namespace lpm
