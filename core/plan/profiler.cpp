#include "plan/profiler.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>

#include "backend/backend.h"
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

Tensor copyOf(const Tensor& tensor)
{
    Tensor copy = Tensor::uninitialized(tensor.shape());
    std::memcpy(copy.data(), tensor.data(), sizeof(float) * size_t(tensor.elementCount()));
    return copy;
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
// enough to leave the caches.
double measureUpdateSeconds(Backend& backend, const ProfileOptions& options)
{
    const int64_t count = int64_t(1) << 22;
    std::vector<float> weights(size_t(count), 0.5f), grads(size_t(count), 0.25f),
        velocity(size_t(count), 0.0f);
    const SgdHyper hyper{0.01f, 0.9f, 0.0f, false};
    std::vector<double> seconds;
    for (int run = 0; run < options.warmup + options.repetitions; ++run) {
        const Clock::time_point start = Clock::now();
        backend.sgdUpdate(count, hyper, weights.data(), grads.data(), velocity.data());
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

    DeviceCosts measured;
    measured.device = options.device;
    measured.source = "measured on " + backend.name()
                      + (options.deviceDescription.empty() ? "" : " (" + options.deviceDescription + ")")
                      + ": median of " + std::to_string(options.repetitions) + " runs after "
                      + std::to_string(options.warmup) + " warm-up runs";
    Tensor input = sampleInput(model.inputShape(options.microBatchSize));
    const int units = model.unitCount();
    for (int u = 0; u < units; ++u) {
        Layer& unit = model.unit(u);
        std::vector<double> forward, backward;
        Tensor output;
        for (int run = 0; run < options.warmup + options.repetitions; ++run) {
            Tensor in = copyOf(input);
            std::unique_ptr<LayerContext> context;
            const StepInfo step{true, uint64_t(run), 0};
            Clock::time_point start = Clock::now();
            output = unit.forward(backend, std::move(in), step, context);
            const double forwardSeconds = secondsSince(start);
            Tensor gradOutput(output.shape());
            std::fill(gradOutput.values().begin(), gradOutput.values().end(), 1e-3f);
            start = Clock::now();
            unit.backward(backend, std::move(gradOutput), *context);
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
