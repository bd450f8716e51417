// Rank 0's bytes to every rank of a job: the plan rank 0 made, the data set
// only rank 0 read. Built on RankChannel::allGather (the other ranks add
// nothing), in pieces of at most kBroadcastPieceBytes, so that a message of
// any size fits MPI's int counts.
#pragma once

#include <cstdint>

#include "dist/rank_channel.h"

namespace lpm {

inline constexpr int64_t kBroadcastPieceBytes = int64_t(1) << 30; // 1 GiB

// A collective: every rank calls it; `mine` counts on rank 0 only. Returns
// rank 0's bytes on every rank (rank 0 gets its own back). `pieceBytes`:
// the most bytes one all-gather carries (> 0).
MessageBytes broadcastFromRankZero(RankChannel& channel, MessageBytes mine, int64_t pieceBytes = kBroadcastPieceBytes);

} // namespace lpm
