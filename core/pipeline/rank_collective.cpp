#include "pipeline/rank_collective.h"

#include <algorithm>
#include <cstring>

#include "tensor/error.h"

namespace lpm {

namespace {

class RankCollective final : public ReplicaCollective {
public:
    explicit RankCollective(RankChannel& channel) : channel_(channel) {}

    void allReduceSum(int, float* data, int64_t count) override
    {
        const std::vector<MessageBytes> all = channel_.allGather(bytesOf(data, count));
        const float* first = floatsOf(all[0], count, 0);
        std::copy(first, first + count, data);
        for (size_t rank = 1; rank < all.size(); ++rank) {
            const float* part = floatsOf(all[rank], count, int(rank));
            for (int64_t i = 0; i < count; ++i)
                data[i] += part[i];
        }
    }

    void broadcastFromFirst(int rank, float* data, int64_t count) override
    {
        const std::vector<MessageBytes> all = channel_.allGather(rank == 0 ? bytesOf(data, count) : MessageBytes());
        if (rank != 0) {
            const float* first = floatsOf(all[0], count, 0);
            std::copy(first, first + count, data);
        }
    }

    void abort() noexcept override {}

private:
    static MessageBytes bytesOf(const float* data, int64_t count)
    {
        const auto* bytes = reinterpret_cast<const std::byte*>(data);
        return MessageBytes(bytes, bytes + sizeof(float) * size_t(count));
    }
    // (a MessageBytes' storage comes from operator new: aligned for floats)
    static const float* floatsOf(const MessageBytes& bytes, int64_t count, int rank)
    {
        if (bytes.size() != sizeof(float) * size_t(count))
            throw Error("dp across ranks: rank " + std::to_string(rank) + " gave " + std::to_string(bytes.size())
                        + " bytes, expected " + std::to_string(count) + " floats (do the ranks train the same model?)");
        return reinterpret_cast<const float*>(bytes.data());
    }

    RankChannel& channel_;
};

} // namespace

std::unique_ptr<ReplicaCollective> makeRankCollective(RankChannel& channel)
{
    return std::make_unique<RankCollective>(channel);
}

} // namespace lpm
