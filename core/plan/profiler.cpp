#include "plan/profiler.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "backend/backend.h"
#include "tensor/memory_block.h"
#include "nn/model.h"
#include "nn/parameter_store.h"
#include "tensor/error.h"

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

// Inputs in [-1, 1] with no pattern a unit could exploit.
Tensor sampleInput(const Shape& shape)
{
    Tensor input(shape);
    float* values = input.data();
    for (int64_t i = 0; i < input.elementCount(); ++i)
        values[i] = float((i * 7919) % 2001) / 1000.0f - 1.0f;
    return input;
}

// Seconds per SGD-with-momentum step of one parameter, over a buffer large
// enough to leave the caches (in the backend's memory).
double measureUpdateSeconds(Backend& backend, const ProfileOptions& options)
{
    const int64_t count = int64_t(1) << 22;
    const int64_t bytes = int64_t(sizeof(float)) * count;
    Backend* memory = memorySpaceOf(backend);
    std::vector<MemoryBlock> buffers; // weights, gradients, velocity
    for (float value : {0.5f, 0.25f, 0.0f}) {
        const std::vector<float> host(size_t(count), value);
        buffers.emplace_back(memory, bytes);
        buffers.back().copyFromHost(host.data(), bytes);
    }
    const SgdHyper hyper{0.01f, 0.9f, 0.0f, false};
    std::vector<double> seconds;
    for (int run = 0; run < options.warmup + options.repetitions; ++run) {
        const Clock::time_point start = Clock::now();
        backend.sgdUpdate(count, hyper, buffers[0].as<float>(), buffers[1].as<float>(), buffers[2].as<float>());
        backend.synchronize();
        if (run >= options.warmup)
            seconds.push_back(secondsSince(start));
    }
    return median(seconds) / double(count);
}

} // namespace

ModelCosts profileModel(Backend& backend, Model& model, const ProfileOptions& options,
                        const ProfileProgress& progress)
{
    if (options.warmup < 0 || options.repetitions < 1)
        throw InvalidArgument("profile: warm-up must be at least 0 and repetitions at least 1, got "
                              + std::to_string(options.warmup) + " and "
                              + std::to_string(options.repetitions));
    ModelCosts costs = describeModelCosts(model, options.microBatchSize);
    ParameterStore store(model);
    store.initialize(1);
    store.placeOn(backend); // a GPU's units read their weights from its memory
    Backend* memory = memorySpaceOf(backend);

    DeviceCosts measured;
    measured.device = options.device;
    measured.source = "measured on " + backend.name()
                      + (options.deviceDescription.empty() ? "" : " (" + options.deviceDescription + ")")
                      + ": median of " + std::to_string(options.repetitions) + " runs after "
                      + std::to_string(options.warmup) + " warm-up runs";
    Tensor input = sampleInput(model.inputShape(options.microBatchSize)).copyTo(memory);
    const int units = model.unitCount();
    for (int u = 0; u < units; ++u) {
        Layer& unit = model.unit(u);
        std::vector<double> forward, backward;
        Tensor output;
        for (int run = 0; run < options.warmup + options.repetitions; ++run) {
            Tensor in = input.clone();
            std::unique_ptr<LayerContext> context;
            const StepInfo step{true, uint64_t(run), 0};
            backend.synchronize(); // times are of this unit's work alone (a GPU's included)
            Clock::time_point start = Clock::now();
            output = unit.forward(backend, std::move(in), step, context);
            backend.synchronize();
            const double forwardSeconds = secondsSince(start);
            Tensor gradOutput(output.shape());
            std::fill(gradOutput.values().begin(), gradOutput.values().end(), 1e-3f);
            gradOutput = gradOutput.copyTo(memory);
            backend.synchronize();
            start = Clock::now();
            unit.backward(backend, std::move(gradOutput), *context);
            backend.synchronize();
            const double backwardSeconds = secondsSince(start);
            if (run >= options.warmup) {
                forward.push_back(forwardSeconds);
                backward.push_back(backwardSeconds);
            }
        }
        measured.units.push_back({median(forward), median(backward)});
        input = std::move(output);
        if (progress)
            progress(u + 1, units);
    }
    measured.updateSecondsPerParameter = measureUpdateSeconds(backend, options);
    costs.devices.push_back(std::move(measured));
    return costs;
}

} // namespace lpm
