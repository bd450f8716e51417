#include "pipeline/in_process_transport.h"

namespace lpm {

InProcessTransport::InProcessTransport(RunControl& control, int stages, int capacity)
    : control_(control), capacity_(capacity), activations_(size_t(stages)), gradients_(size_t(stages))
{
    if (capacity < 1)
        throw InvalidArgument("in-process transport: capacity must be at least 1, got " + std::to_string(capacity));
}

std::deque<StageMessage>& InProcessTransport::queueInto(int stage, Direction direction)
{
    auto& queues = direction == Direction::Gradient ? gradients_ : activations_;
    if (stage < 0 || stage >= int(queues.size()))
        throw InvalidArgument("in-process transport: no stage " + std::to_string(stage));
    return queues[size_t(stage)];
}

void InProcessTransport::send(int fromStage, Direction direction, StageMessage message)
{
    std::unique_lock<std::mutex> lock(control_.mutex());
    std::deque<StageMessage>& queue =
        queueInto(direction == Direction::Gradient ? fromStage - 1 : fromStage + 1, direction);
    control_.wait(lock, [&] { return int(queue.size()) < capacity_; });
    queue.push_back(std::move(message));
    lock.unlock();
    control_.notifyAll();
}

std::optional<StageMessage> InProcessTransport::receive(int toStage, Direction direction, int miniBatch)
{
    std::unique_lock<std::mutex> lock(control_.mutex());
    std::deque<StageMessage>& queue = queueInto(toStage, direction);
    control_.wait(lock, [&] { return !queue.empty() || control_.cancelledLocked(miniBatch); });
    if (queue.empty())
        return std::nullopt;
    StageMessage message = std::move(queue.front());
    queue.pop_front();
    lock.unlock();
    control_.notifyAll(); // a sender may wait for room
    return message;
}

} // namespace lpm
