// Messages between the ranks of a job (DESIGN §1.6): what the pipeline's
// transport and its exchanges after a run need, and nothing of MPI itself.
// Point to point, bytes go under a tag, and messages from one rank to another
// under one tag arrive in the order they were sent (as MPI keeps them); a
// barrier and an all-gather in rank order complete the set. MpiChannel
// (mpi_channel.h) carries them over MPI; tests play ranks on threads.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

namespace lpm {

using MessageBytes = std::vector<std::byte>;

class RankChannel {
public:
    virtual ~RankChannel() = default;

    virtual int rank() const = 0; // 0 .. size() − 1
    virtual int size() const = 0;

    // Queues `bytes` for rank `to` (this rank too) under `tag` (0 .. 32767)
    // and returns without waiting for the receiver.
    virtual void send(int to, int tag, MessageBytes bytes) = 0;
    // The next message from rank `from` under `tag`. Waits for it, asking
    // `giveUp` every millisecond or so; nothing once it answers true.
    // (`giveUp` is asked with no lock of the channel's held: it may send.)
    virtual std::optional<MessageBytes> receive(int from, int tag, const std::function<bool()>& giveUp) = 0;
    // The next message from rank `from` under `tag` if one has arrived;
    // nothing, at once, otherwise.
    virtual std::optional<MessageBytes> tryReceive(int from, int tag) = 0;
    // Returns true once every rank has called it, false when `giveUp` said so first.
    virtual bool barrier(const std::function<bool()>& giveUp) = 0;
    // Every rank's `mine`, by rank (a collective: every rank calls it; waits for all).
    virtual std::vector<MessageBytes> allGather(const MessageBytes& mine) = 0;
};

} // namespace lpm
