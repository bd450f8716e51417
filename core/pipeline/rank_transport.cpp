#include "pipeline/rank_transport.h"

#include <algorithm>
#include <array>

#include "dist/byte_packing.h"

namespace lpm {

namespace {

// Tags 0 .. 2·stages − 1: the receiving stage, and the direction.
int tagOf(int toStage, Direction direction)
{
    return 2 * toStage + (direction == Direction::Gradient ? 1 : 0);
}

int neighbourOf(int stage, Direction direction, bool sending)
{
    const int step = direction == Direction::Activation ? 1 : -1;
    return sending ? stage + step : stage - step;
}

Shape unpackShape(ByteUnpacker& unpacker, const std::string& what)
{
    const int rank = unpacker.get<int32_t>();
    std::array<int64_t, Shape::kMaxRank> extents{};
    if (rank < 0 || rank > Shape::kMaxRank)
        throw Error(what + ": a tensor of rank " + std::to_string(rank) + "; expected 0 to "
                    + std::to_string(Shape::kMaxRank));
    uint64_t elements = 1; // (checked against the bytes left as it grows: no overflow)
    for (int axis = 0; axis < rank; ++axis) {
        const int64_t extent = unpacker.get<int64_t>();
        if (extent < 0)
            throw Error(what + ": a negative extent " + std::to_string(extent));
        extents[size_t(axis)] = extent;
        if (extent > 0 && elements > unpacker.remaining() / sizeof(float) / uint64_t(extent))
            throw Error(what + ": a tensor larger than the " + std::to_string(unpacker.remaining())
                        + " bytes left in the message");
        elements *= uint64_t(std::max<int64_t>(extent, 1));
    }
    switch (rank) {
    case 0:
        return Shape{};
    case 1:
        return Shape{extents[0]};
    case 2:
        return Shape{extents[0], extents[1]};
    case 3:
        return Shape{extents[0], extents[1], extents[2]};
    default:
        return Shape{extents[0], extents[1], extents[2], extents[3]};
    }
}

} // namespace

MessageBytes packStageMessage(const StageMessage& message)
{
    BytePacker packer;
    packer.put<int32_t>(message.miniBatch);
    packer.put<int32_t>(message.microBatch);
    packer.put<int64_t>(message.sampleOffset);
    packer.put<int64_t>(message.miniBatchSize);
    packer.put<double>(message.sentSeconds);
    const Shape& shape = message.tensor.shape();
    packer.put<int32_t>(shape.rank());
    for (int axis = 0; axis < shape.rank(); ++axis)
        packer.put<int64_t>(shape[axis]);
    packer.append(message.tensor.data(), sizeof(float) * size_t(message.tensor.shape().elementCount()));
    packer.putVector(message.labels);
    return packer.take();
}

StageMessage unpackStageMessage(const MessageBytes& bytes, const std::string& what)
{
    ByteUnpacker unpacker(bytes, what);
    StageMessage message;
    message.miniBatch = unpacker.get<int32_t>();
    message.microBatch = unpacker.get<int32_t>();
    message.sampleOffset = unpacker.get<int64_t>();
    message.miniBatchSize = unpacker.get<int64_t>();
    message.sentSeconds = unpacker.get<double>();
    const Shape shape = unpackShape(unpacker, what);
    message.tensor = Tensor::uninitialized(shape);
    unpacker.read(message.tensor.data(), sizeof(float) * size_t(shape.elementCount()));
    message.labels = unpacker.getVector<int32_t>();
    if (!unpacker.atEnd())
        throw Error(what + ": " + std::to_string(bytes.size()) + " bytes, more than one message");
    return message;
}

RankTransport::RankTransport(RankChannel& channel, RunControl& control) : channel_(channel), control_(control) {}

void RankTransport::send(int fromStage, Direction direction, StageMessage message)
{
    const int toStage = neighbourOf(fromStage, direction, true);
    if (!message.tensor.space().isHost())
        message.tensor = message.tensor.copyTo(MemorySpace::host());
    channel_.send(rankOf(toStage), tagOf(toStage, direction), packStageMessage(message));
}

std::optional<StageMessage> RankTransport::receive(int toStage, Direction direction, int miniBatch)
{
    const int fromStage = neighbourOf(toStage, direction, false);
    std::optional<MessageBytes> bytes = channel_.receive(rankOf(fromStage), tagOf(toStage, direction), [&] {
        return control_.aborted() || control_.cancelled(miniBatch);
    });
    if (!bytes) {
        if (control_.aborted())
            throw RunAborted();
        return std::nullopt; // cancelled by a stop (which rank 0 made where no message of it was sent)
    }
    return unpackStageMessage(*bytes, std::string("the ") + directionName(direction) + " into stage "
                                          + std::to_string(toStage) + " from rank "
                                          + std::to_string(rankOf(fromStage)));
}

} // namespace lpm
