// How stages hand each other activations and gradients. One interface, so the
// executor does not care whether a message crosses a thread (in-process
// queues, here), a PCIe bus or a network (CUDA, NCCL and MPI transports, later).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "schedule/schedule.h"
#include "tensor/tensor.h"

namespace lpm {

// What crosses a stage boundary for one micro-batch.
struct StageMessage {
    int miniBatch = 0;
    int microBatch = 0;
    Tensor tensor;               // activation forward, gradient backward
    std::vector<int32_t> labels; // travel forward with the activation to the last stage
    int64_t sampleOffset = 0;    // of the micro-batch's first sample in its mini-batch
    int64_t miniBatchSize = 0;   // samples in the whole mini-batch (the loss divides by it)
    double sentSeconds = 0.0;    // when it was sent, on the run's clock
};

class Transport {
public:
    virtual ~Transport() = default;

    // Towards stage + 1 (activation) or stage − 1 (gradient). May block while
    // the link is full; throws RunAborted when the run is aborted meanwhile.
    virtual void send(int fromStage, Direction direction, StageMessage message) = 0;
    // The next message into `toStage` of that direction, in send order, which
    // belongs to mini-batch `miniBatch`. Blocks until it is there; returns
    // nothing when a stop cancelled that mini-batch first; throws RunAborted
    // when the run is aborted meanwhile.
    virtual std::optional<StageMessage> receive(int toStage, Direction direction, int miniBatch) = 0;
    // True when a message is handed over within the process (it takes no
    // time); false when it is carried (between ranks: the timeline then
    // draws it from its sending to its receipt).
    virtual bool handsOver() const { return true; }
};

} // namespace lpm
