// dp across ranks (PipelineExecutor::setRanks): the replicas' collective
// over the job's RankChannel, replica r on rank r. Each operation is an
// all-gather of host floats; the sum adds the ranks' data in rank order,
// the order dp in one process sums in, so its results are dp's bits.
// abort() does nothing: a failed rank ends the whole job (MPI_Abort).
#pragma once

#include <memory>

#include "backend/replica_collective.h"
#include "dist/rank_channel.h"

namespace lpm {

std::unique_ptr<ReplicaCollective> makeRankCollective(RankChannel& channel);

} // namespace lpm
