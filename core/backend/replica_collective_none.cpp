// makeNcclCollective in a build without NCCL.
#include "backend/replica_collective.h"

#include "tensor/error.h"

namespace lpm {

std::unique_ptr<ReplicaCollective> makeNcclCollective(const std::vector<Backend*>&)
{
    throw InvalidArgument("this build has no NCCL (it needs the CUDA toolkit and libnccl; see docs/GPU.md)");
}

} // namespace lpm
