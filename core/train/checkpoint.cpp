#include "train/checkpoint.h"

#include <algorithm>

#include "io/binary_stream.h"
#include "io/checksummed_file.h"
#include "tensor/error.h"

namespace lpm {

namespace {
const char* const kCheckpointMagic = "LPMCKPT";
constexpr uint32_t kCheckpointVersion = 2;
} // namespace

void writeCheckpoint(const std::filesystem::path& file, const Checkpoint& checkpoint)
{
    const OptimizerOptions& optimizer = checkpoint.optimizer;
    ByteWriter payload;
    payload.putString(checkpoint.model);
    payload.put<uint64_t>(checkpoint.seed);
    payload.put<int64_t>(checkpoint.batch);
    payload.put<int64_t>(checkpoint.microBatches);
    payload.putString(optimizer.kind);
    payload.put<float>(optimizer.learningRate);
    payload.put<float>(optimizer.momentum);
    payload.put<uint8_t>(optimizer.nesterov ? 1 : 0);
    payload.put<float>(optimizer.weightDecay);
    payload.putString(optimizer.schedule);
    payload.put<int64_t>(optimizer.warmupSteps);
    payload.put<int64_t>(optimizer.decaySteps);
    payload.put<float>(optimizer.clipGradNorm);
    payload.put<int64_t>(checkpoint.globalStep);
    payload.put<int64_t>(checkpoint.optimizerSteps);
    payload.putFloats(checkpoint.parameters.data(), int64_t(checkpoint.parameters.size()));
    payload.putFloats(checkpoint.buffers.data(), int64_t(checkpoint.buffers.size()));
    payload.put<uint32_t>(static_cast<uint32_t>(checkpoint.optimizerState.size()));
    for (const std::vector<float>& vector : checkpoint.optimizerState)
        payload.putFloats(vector.data(), int64_t(vector.size()));
    writeChecksummedFile(file, kCheckpointMagic, kCheckpointVersion, payload.bytes());
}

Checkpoint readCheckpoint(const std::filesystem::path& file)
{
    const std::string name = file.string();
    const std::vector<unsigned char> bytes =
        readChecksummedFile(file, kCheckpointMagic, kCheckpointVersion, "checkpoint");
    ByteReader reader(bytes.data(), bytes.size(), name);
    Checkpoint checkpoint;
    OptimizerOptions& optimizer = checkpoint.optimizer;
    checkpoint.model = reader.getString("model name");
    checkpoint.seed = reader.get<uint64_t>("seed");
    checkpoint.batch = reader.get<int64_t>("batch size");
    checkpoint.microBatches = reader.get<int64_t>("micro-batches");
    optimizer.kind = reader.getString("optimizer");
    optimizer.learningRate = reader.get<float>("learning rate");
    optimizer.momentum = reader.get<float>("momentum");
    optimizer.nesterov = reader.get<uint8_t>("nesterov") != 0;
    optimizer.weightDecay = reader.get<float>("weight decay");
    optimizer.schedule = reader.getString("learning-rate schedule");
    optimizer.warmupSteps = reader.get<int64_t>("warm-up steps");
    optimizer.decaySteps = reader.get<int64_t>("decay steps");
    optimizer.clipGradNorm = reader.get<float>("clipping norm");
    checkpoint.globalStep = reader.get<int64_t>("step");
    checkpoint.optimizerSteps = reader.get<int64_t>("optimizer step");
    checkpoint.parameters = reader.getFloats("parameters");
    checkpoint.buffers = reader.getFloats("buffers");
    const auto stateCount = reader.get<uint32_t>("optimizer state count");
    for (uint32_t i = 0; i < stateCount; ++i)
        checkpoint.optimizerState.push_back(reader.getFloats("optimizer state", int64_t(checkpoint.parameters.size())));
    if (!reader.atEnd())
        throw FileError(name + ": unexpected data after the optimizer state");
    if (checkpoint.globalStep < 0 || checkpoint.optimizerSteps < 0)
        throw FileError(name + ": negative step count");
    return checkpoint;
}

void restoreWeights(const Checkpoint& checkpoint, const std::filesystem::path& file, ParameterStore& store)
{
    if (int64_t(checkpoint.parameters.size()) != store.parameterCount()
        || int64_t(checkpoint.buffers.size()) != store.bufferCount())
        throw FileError(file.string() + ": holds " + std::to_string(checkpoint.parameters.size()) + " parameters and "
                        + std::to_string(checkpoint.buffers.size()) + " buffer values, model " + checkpoint.model
                        + " has " + std::to_string(store.parameterCount()) + " and "
                        + std::to_string(store.bufferCount()));
    std::copy(checkpoint.parameters.begin(), checkpoint.parameters.end(), store.hostValues());
    std::copy(checkpoint.buffers.begin(), checkpoint.buffers.end(), store.hostBuffers());
}

} // namespace lpm
