// The transport between stages played by different ranks of a job (DESIGN
// §1.6): each message goes over a RankChannel (MPI between processes) as
// bytes, to the rank that plays the receiving stage. Stage s is played by
// rank s mod ranks (the worker that plays it; interleaved: several stages
// each). The tag names the receiving stage and direction, and a channel
// keeps each sender's order per tag, so every schedule's message order is
// kept. Host tensors only: a stage on a GPU hands over a host copy (NCCL
// between GPUs is to come).
#pragma once

#include "dist/rank_channel.h"
#include "pipeline/run_control.h"
#include "pipeline/transport.h"

namespace lpm {

class RankTransport final : public Transport {
public:
    RankTransport(RankChannel& channel, RunControl& control);

    void send(int fromStage, Direction direction, StageMessage message) override;
    std::optional<StageMessage> receive(int toStage, Direction direction, int miniBatch) override;
    bool handsOver() const override { return false; }

    // The rank that plays stage `stage`.
    int rankOf(int stage) const { return stage % channel_.size(); }

private:
    RankChannel& channel_;
    RunControl& control_;
};

// A message as bytes and back (rank_transport.cpp); the reader throws naming
// `what` when the bytes are not a whole message.
MessageBytes packStageMessage(const StageMessage& message);
StageMessage unpackStageMessage(const MessageBytes& bytes, const std::string& what);

} // namespace lpm
