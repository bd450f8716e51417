#include "plan/profiler.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "backend/backend.h"
#include "data/batcher.h"
#include "nn/model.h"
#include "nn/model_zoo.h"
#include "nn/parameter_store.h"
#include "nn/softmax_cross_entropy.h"
#include "tensor/error.h"
#include "tensor/memory_block.h"

namespace lpm {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    const size_t mid = values.size() / 2;
    return values.size() % 2 == 1 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

// Inputs with no pattern a unit could exploit: values in [-1, 1], or for a
// language model token ids spread over its vocabulary.
Tensor sampleInput(const Model& model, int64_t batch)
{
    Tensor input(model.inputShape(batch));
    const bool tokens = model.tokens() > 0;
    float* values = input.data();
    for (int64_t i = 0; i < input.elementCount(); ++i)
        values[i] = tokens ? float((i * 7919) % model.classes()) : float((i * 7919) % 2001) / 1000.0f - 1.0f;
    return input;
}

// Seconds per parameter of a stage's update: an SGD-with-momentum step, then
// the gradients zeroed, as the trainer and the executor do, over as many
// parameters as the model has (in the backend's memory), so that the buffers
// sit in the caches where the model's would. (At least 2^16: timing
// resolution.)
double measureUpdateSeconds(Backend& backend, const ProfileOptions& options, int64_t parameters)
{
    const int64_t count = std::max<int64_t>(parameters, int64_t(1) << 16);
    const int64_t bytes = int64_t(sizeof(float)) * count;
    const MemorySpace space = memorySpaceOf(backend);
    // Weights, gradients, velocity, and a block zeroed in the gradients'
    // place (zeroing the gradients themselves would let the velocity decay
    // into subnormal numbers over many repetitions, which are slower).
    std::vector<MemoryBlock> buffers;
    for (float value : {0.5f, 0.25f, 0.0f, 0.0f}) {
        const std::vector<float> host(size_t(count), value);
        buffers.emplace_back(space, bytes);
        buffers.back().copyFromHost(host.data(), bytes);
    }
    const SgdHyper hyper{0.01f, 0.9f, 0.0f, false};
    std::vector<double> seconds;
    const int repetitions = std::max(options.repetitions, 31); // each takes well under a profile round
    for (int run = 0; run < options.warmup + repetitions; ++run) {
        const Clock::time_point start = Clock::now();
        backend.sgdUpdate(count, hyper, buffers[0].as<float>(), buffers[1].as<float>(), buffers[2].as<float>());
        backend.zeroBytes(buffers[3].data(), bytes);
        backend.synchronize();
        if (run >= options.warmup)
            seconds.push_back(secondsSince(start));
    }
    return median(seconds) / double(count);
}

// Seconds per sample of gathering a mini-batch's input on the host, as the
// first stage does: Batcher::batchAt over a data set of samples the size of
// the model's input, 256 samples from 1,024 in shuffled order into a fresh
// batch while the previous one is still held, as the executor holds it.
// (The values do not change the cost: they are copied.)
double measureInputSeconds(const Model& model, const ProfileOptions& options)
{
    const int64_t batchSize = 256;
    Dataset data;
    data.name = "profile";
    data.count = 4 * batchSize;
    data.channels = 1;
    data.height = 1;
    data.width = model.inputShape(1).sampleElementCount();
    data.images.assign(size_t(data.count * data.width), 0.5f);
    data.labels.assign(size_t(data.count), 0);
    const Batcher batcher(data, batchSize, 1);
    std::vector<double> seconds;
    const int repetitions = std::max(options.repetitions, 31);
    Batch previous;
    for (int run = 0; run < options.warmup + repetitions; ++run) {
        const Clock::time_point start = Clock::now();
        Batch batch = batcher.batchAt(run);
        previous = std::move(batch);
        if (run >= options.warmup)
            seconds.push_back(secondsSince(start));
    }
    return median(seconds) / double(batchSize);
}

} // namespace

void requireProfilable(const std::string& model, const std::string& device)
{
    if (isLargeModel(model))
        throw InvalidArgument("profiling " + model + " on " + device
                              + " is not available: it is a real size, planned from the catalogue's estimates on "
                                "GPUs (for example --devices catalog:H100x8)");
}

ModelCosts profileModel(Backend& backend, Model& model, const ProfileOptions& options, const ProfileProgress& progress)
{
    if (options.warmup < 0 || options.repetitions < 1)
        throw InvalidArgument("profile: warm-up must be at least 0 and repetitions at least 1, got "
                              + std::to_string(options.warmup) + " and " + std::to_string(options.repetitions));
    if (!(options.minimumSeconds >= 0.0 && options.minimumSeconds <= 3600.0))
        throw InvalidArgument("profile: the minimum measuring time must be between 0 and 3600 seconds, got "
                              + std::to_string(options.minimumSeconds));
    requireProfilable(model.name(), backend.name());
    ModelCosts costs = describeModelCosts(model, options.microBatchSize);
    ParameterStore store(model);
    store.initialize(1);
    store.placeOn(backend); // a GPU's units read their weights from its memory
    const MemorySpace space = memorySpaceOf(backend);

    DeviceCosts measured;
    measured.device = options.device;
    const Tensor input = sampleInput(model, options.microBatchSize).copyTo(space);
    // Class 0 everywhere: the loss's time does not depend on it (one label per position of a sequence).
    std::vector<int32_t> labels(size_t(options.microBatchSize * std::max<int64_t>(model.tokens(), 1)), 0);
    const int units = model.unitCount();
    // Per unit, one time per counted round.
    std::vector<std::vector<double>> forward(static_cast<size_t>(units)), backward(static_cast<size_t>(units));
    std::vector<std::unique_ptr<LayerContext>> contexts(static_cast<size_t>(units));
    // Rounds go on until `repetitions` are counted and the counted ones took
    // `minimumSeconds`; `rounds` is the estimate of all rounds, for progress.
    int rounds = options.warmup + options.repetitions;
    Clock::time_point countedStart = Clock::now();
    for (int round = 0; round < rounds; ++round) {
        const bool counted = round >= options.warmup;
        if (round == options.warmup)
            countedStart = Clock::now();
        const StepInfo step{true, uint64_t(round), 0};
        Tensor activation = input.clone();
        for (int u = 0; u < units; ++u) {
            backend.synchronize(); // times are of this unit's work alone (a GPU's included)
            const Clock::time_point start = Clock::now();
            activation = model.unit(u).forward(backend, std::move(activation), step, contexts[size_t(u)]);
            Tensor gradient;
            if (u + 1 == units) // the last stage computes the loss in its forward action
                gradient = softmaxCrossEntropy(backend, activation, labels, options.microBatchSize).gradLogits;
            backend.synchronize();
            if (counted)
                forward[size_t(u)].push_back(secondsSince(start));
            if (u + 1 == units)
                activation = std::move(gradient);
        }
        for (int u = units - 1; u >= 0; --u) {
            backend.synchronize();
            const Clock::time_point start = Clock::now();
            activation = model.unit(u).backward(backend, std::move(activation), *contexts[size_t(u)]);
            backend.synchronize();
            if (counted)
                backward[size_t(u)].push_back(secondsSince(start));
            contexts[size_t(u)].reset();
        }
        if (counted && round + 1 == rounds) {
            const double elapsed = secondsSince(countedStart);
            const int done = round + 1 - options.warmup;
            if (elapsed < options.minimumSeconds) // at the rate so far, with one round to spare
                rounds = options.warmup
                         + int(std::min(1e6, std::ceil(done * options.minimumSeconds / std::max(elapsed, 1e-9)))) + 1;
        }
        if (progress)
            progress(round + 1, rounds);
    }
    const int counted = rounds - options.warmup;
    measured.source = "measured on " + backend.name()
                      + (options.deviceDescription.empty() ? "" : " (" + options.deviceDescription + ")")
                      + ": median of " + std::to_string(counted) + " rounds after " + std::to_string(options.warmup)
                      + " warm-up rounds";
    for (int u = 0; u < units; ++u)
        measured.units.push_back({median(forward[size_t(u)]), median(backward[size_t(u)])});
    measured.updateSecondsPerParameter = measureUpdateSeconds(backend, options, store.parameterCount());
    measured.inputSecondsPerSample = measureInputSeconds(model, options);
    costs.devices.push_back(std::move(measured));
    return costs;
}

} // namespace lpm
