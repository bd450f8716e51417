// The transport between stage threads of one process: a bounded FIFO queue
// per link and direction. A tensor is handed over, not copied.
#pragma once

#include <deque>
#include <vector>

#include "pipeline/run_control.h"
#include "pipeline/transport.h"

namespace lpm {

class InProcessTransport final : public Transport {
public:
    // `capacity` messages per link and direction; a sender waits while full.
    InProcessTransport(RunControl& control, int stages, int capacity);

    void send(int fromStage, Direction direction, StageMessage message) override;
    std::optional<StageMessage> receive(int toStage, Direction direction, int miniBatch) override;

private:
    std::deque<StageMessage>& queueInto(int stage, Direction direction);

    RunControl& control_;
    int capacity_;
    std::vector<std::deque<StageMessage>> activations_; // [s]: into stage s from s − 1
    std::vector<std::deque<StageMessage>> gradients_;   // [s]: into stage s from s + 1
};

} // namespace lpm
