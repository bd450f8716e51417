// Collective operations among the dp replicas of one run, for replicas that
// cannot read each other's memory (GPUs without peer access): rank r is
// replica r, computing on its own backend. Every rank calls each operation
// in the same order, from its own thread; a call returns once the operation
// is queued on the rank's backend (its stream), so a rank synchronize()s its
// backend before it reads the result on the host.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "backend/backend.h"

namespace lpm {

class ReplicaCollective {
public:
    virtual ~ReplicaCollective() = default;
    // `data` (count floats in rank `rank`'s memory) becomes the sum of every rank's.
    virtual void allReduceSum(int rank, float* data, int64_t count) = 0;
    // `data` on every rank becomes rank 0's.
    virtual void broadcastFromFirst(int rank, float* data, int64_t count) = 0;
    // Called from another thread when the run has failed: operations that
    // ranks are still waiting in end (and fail), so no rank stays blocked.
    // The collective cannot be used afterwards.
    virtual void abort() noexcept = 0;
};

// Makes the collective of one run's ranks (rank r on ranks[r]).
using ReplicaCollectiveFactory = std::function<std::unique_ptr<ReplicaCollective>(const std::vector<Backend*>& ranks)>;

// NCCL communicators, one per rank, each rank a CUDA backend on a GPU of its
// own. Throws InvalidArgument saying why when that cannot be: a build without
// NCCL, a rank not on a GPU, two ranks on one GPU.
std::unique_ptr<ReplicaCollective> makeNcclCollective(const std::vector<Backend*>& ranks);

} // namespace lpm
