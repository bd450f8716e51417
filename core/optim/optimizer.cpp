#include "optim/optimizer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "io/binary_stream.h"
#include "optim/adam.h"
#include "optim/gradient_clipping.h"
#include "optim/sgd.h"
#include "tensor/error.h"

namespace lpm {

namespace {

// An optimizer of `options.kind` for `parameterCount` parameters.
std::unique_ptr<Optimizer> optimizerOfKind(const OptimizerOptions& options, int64_t parameterCount)
{
    if (options.kind == "sgd")
        return std::make_unique<Sgd>(options, parameterCount);
    if (options.kind == "adam" || options.kind == "adamw")
        return std::make_unique<Adam>(options, parameterCount);
    throw InvalidArgument("unknown optimizer '" + options.kind + "' (known: sgd, adam, adamw)");
}

} // namespace

float learningRateAt(const OptimizerOptions& options, int64_t step)
{
    if (options.schedule == "constant")
        return options.learningRate;
    if (options.schedule != "cosine")
        throw InvalidArgument("unknown learning-rate schedule '" + options.schedule + "' (known: constant, cosine)");
    const double rate = options.learningRate;
    const int64_t warmup = options.warmupSteps, decay = options.decaySteps;
    if (warmup < 0 || decay <= warmup)
        throw InvalidArgument("cosine learning-rate schedule: expected 0 <= warm-up steps < decay steps, got "
                              + std::to_string(warmup) + " and " + std::to_string(decay)
                              + " (the decay steps are the run's steps unless --decay-steps names them; a "
                                "resumed run gives the first run's)");
    if (step <= warmup)
        return float(rate * double(step) / double(warmup));
    if (step >= decay)
        return float(0.1 * rate);
    const double progress = double(step - warmup) / double(decay - warmup);
    constexpr double kPi = 3.14159265358979323846;
    return float(rate * (0.1 + 0.9 * 0.5 * (1.0 + std::cos(kPi * progress))));
}

Optimizer::Optimizer(const OptimizerOptions& options, int64_t parameterCount, int stateVectors)
    : options_(options), state_(static_cast<size_t>(stateVectors), std::vector<float>(size_t(parameterCount), 0.0f))
{
}

void Optimizer::step(Backend& backend, ParameterStore& store)
{
    if (options_.clipGradNorm > 0.0f)
        scaleGradients(backend, store, 0, store.parameterCount(), clippingScaleOf(store));
    updateRange(backend, store, 0, store.parameterCount(), stepCount_ + 1);
    ++stepCount_;
}

float Optimizer::clippingScaleOf(const ParameterStore& store) const
{
    return clippingScale(unitGradientSquares(store, store.firstUnit(), store.lastUnit()), options_.clipGradNorm);
}

void Optimizer::scaleGradients(Backend& backend, ParameterStore& store, int64_t first, int64_t count, float scale)
{
    if (scale < 1.0f) // (1: leave the gradients' bits as they are)
        backend.scale(count, scale, store.gradients() + first);
}

void Optimizer::placeOn(Backend& backend)
{
    const MemorySpace space = memorySpaceOf(backend);
    if (space.isHost() || (!placed_.empty() && placed_.front().space() == space))
        return;
    copyStateToHost();
    placed_.clear();
    for (const std::vector<float>& vector : state_)
        placed_.emplace_back(space, std::max<int64_t>(int64_t(sizeof(float) * vector.size()), 4));
    copyStateFromHost();
}

void Optimizer::copyStateToHost()
{
    for (size_t i = 0; i < placed_.size(); ++i)
        placed_[i].copyToHost(state_[i].data(), int64_t(sizeof(float) * state_[i].size()));
}

void Optimizer::copyStateFromHost()
{
    for (size_t i = 0; i < placed_.size(); ++i)
        placed_[i].copyFromHost(state_[i].data(), int64_t(sizeof(float) * state_[i].size()));
}

std::unique_ptr<Optimizer> Optimizer::unplacedSlice(int64_t first, int64_t count) const
{
    std::unique_ptr<Optimizer> slice = optimizerOfKind(options_, count);
    slice->stepCount_ = stepCount_;
    for (size_t v = 0; v < state_.size(); ++v)
        std::copy_n(state_[v].begin() + first, count, slice->state_[v].begin());
    return slice;
}

std::string optimizerStateDigest(Optimizer& optimizer)
{
    optimizer.copyStateToHost();
    const int64_t steps = optimizer.stepCount();
    uint64_t hash = fnv1a64(&steps, sizeof steps);
    for (const std::vector<float>& vector : optimizer.state())
        hash = fnv1a64(vector.data(), sizeof(float) * vector.size(), hash);
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
    return text;
}

std::unique_ptr<Optimizer> makeOptimizer(const OptimizerOptions& options, const ParameterStore& store)
{
    if (!(options.learningRate > 0.0f) || !std::isfinite(options.learningRate))
        throw InvalidArgument("optimizer: learning rate must be positive, got " + std::to_string(options.learningRate));
    learningRateAt(options, 1); // checks the schedule and its steps
    if (!(options.clipGradNorm >= 0.0f) || !std::isfinite(options.clipGradNorm))
        throw InvalidArgument("optimizer: the gradient norm to clip to must be positive (or 0 for none), got "
                              + std::to_string(options.clipGradNorm));
    return optimizerOfKind(options, store.parameterCount());
}

} // namespace lpm
