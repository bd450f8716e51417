#include "dist/rank_broadcast.h"

#include <algorithm>
#include <string>

#include "dist/byte_packing.h"

namespace lpm {

MessageBytes broadcastFromRankZero(RankChannel& channel, MessageBytes mine, int64_t pieceBytes)
{
    if (pieceBytes < 1)
        throw InvalidArgument("rank 0's broadcast: pieces of " + std::to_string(pieceBytes)
                              + " bytes, expected 1 or more");
    const bool root = channel.rank() == 0;
    BytePacker size;
    size.put<int64_t>(root ? int64_t(mine.size()) : 0);
    const std::vector<MessageBytes> sizes = channel.allGather(size.take());
    const auto total = ByteUnpacker(sizes[0], "the size of rank 0's broadcast").get<int64_t>();
    MessageBytes all;
    if (!root)
        all.reserve(size_t(total));
    for (int64_t offset = 0; offset < total; offset += pieceBytes) {
        const int64_t length = std::min(pieceBytes, total - offset);
        MessageBytes piece; // (every rank takes part in each piece; only rank 0 sends bytes)
        if (root)
            piece.assign(mine.begin() + offset, mine.begin() + offset + length);
        const std::vector<MessageBytes> pieces = channel.allGather(piece);
        if (int64_t(pieces[0].size()) != length)
            throw Error("rank 0's broadcast: a piece of " + std::to_string(pieces[0].size()) + " bytes, expected "
                        + std::to_string(length));
        if (!root)
            all.insert(all.end(), pieces[0].begin(), pieces[0].end());
    }
    return root ? std::move(mine) : std::move(all);
}

} // namespace lpm
