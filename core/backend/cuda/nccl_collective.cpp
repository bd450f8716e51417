// makeNcclCollective: the dp replicas' sums and broadcasts through NCCL, one
// communicator per GPU of this process (ncclCommInitAll), each rank's calls
// on its CudaBackend's stream.
#include <nccl.h>

#include <algorithm>
#include <string>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "backend/replica_collective.h"
#include "tensor/error.h"

namespace lpm {

namespace {

void checkNccl(ncclResult_t status, const char* call, const char* file, int line)
{
    if (status != ncclSuccess)
        throwCudaError(call, "NCCL", "ncclResult_t", ncclGetErrorString(status), file, line);
}

#define LPM_NCCL_CHECK(call) checkNccl((call), #call, __FILE__, __LINE__)

class NcclCollective final : public ReplicaCollective {
public:
    explicit NcclCollective(const std::vector<Backend*>& ranks)
    {
        for (Backend* rank : ranks) {
            auto* cuda = dynamic_cast<CudaBackend*>(rank);
            if (cuda == nullptr)
                throw InvalidArgument("NCCL runs between GPUs; " + rank->name() + " is not one");
            if (std::find(devices_.begin(), devices_.end(), cuda->device()) != devices_.end())
                throw InvalidArgument("NCCL needs one replica per GPU; " + cuda->name() + " holds two");
            devices_.push_back(cuda->device());
            streams_.push_back(cuda->stream());
        }
        communicators_.resize(ranks.size());
        LPM_NCCL_CHECK(ncclCommInitAll(communicators_.data(), int(ranks.size()), devices_.data()));
    }

    ~NcclCollective() override
    {
        if (!aborted_)
            for (ncclComm_t communicator : communicators_)
                ncclCommDestroy(communicator); // a destructor cannot report a failure
    }

    void allReduceSum(int rank, float* data, int64_t count) override
    {
        LPM_CUDA_CHECK(cudaSetDevice(devices_[size_t(rank)]));
        LPM_NCCL_CHECK(ncclAllReduce(data, data, size_t(count), ncclFloat, ncclSum, communicators_[size_t(rank)],
                                     streams_[size_t(rank)]));
    }

    void broadcastFromFirst(int rank, float* data, int64_t count) override
    {
        LPM_CUDA_CHECK(cudaSetDevice(devices_[size_t(rank)]));
        LPM_NCCL_CHECK(ncclBroadcast(data, data, size_t(count), ncclFloat, 0, communicators_[size_t(rank)],
                                     streams_[size_t(rank)]));
    }

    void abort() noexcept override
    {
        aborted_ = true;
        for (ncclComm_t communicator : communicators_)
            ncclCommAbort(communicator); // ends the kernels a rank's stream is waiting in
    }

private:
    std::vector<int> devices_;
    std::vector<cudaStream_t> streams_;
    std::vector<ncclComm_t> communicators_;
    bool aborted_ = false;
};

} // namespace

std::unique_ptr<ReplicaCollective> makeNcclCollective(const std::vector<Backend*>& ranks)
{
    return std::make_unique<NcclCollective>(ranks);
}

} // namespace lpm
