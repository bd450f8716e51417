// An optimizer over one ParameterStore's flat buffer: one call updates every
// parameter of a model or stage from its accumulated gradients. Its state is a
// list of flat vectors the size of the parameter buffer, plus a step count, so
// a checkpoint can save and restore it exactly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "nn/parameter_store.h"
#include "optim/optimizer_options.h"
#include "tensor/memory_block.h"

namespace lpm {

class Optimizer {
public:
    virtual ~Optimizer() = default;

    // Applies one update to store.values() from store.gradients() (clipped
    // to the global norm clipGradNorm() first, when set) and counts it.
    void step(Backend& backend, ParameterStore& store);

    // The global norm gradients are clipped to before an update (0: none).
    // step() clips; a pipeline stage that updates a slice with updateRange()
    // clips its slice first with the factor all stages agreed on.
    float clipGradNorm() const { return options_.clipGradNorm; }
    // The clipping factor of a store that holds every unit of the model
    // (sequential training, dp): clippingScale over its units' squared norms.
    float clippingScaleOf(const ParameterStore& store) const;
    // Multiplies the gradients [first, first + count) by `scale` (< 1), on `backend`.
    static void scaleGradients(Backend& backend, ParameterStore& store, int64_t first, int64_t count, float scale);

    // Update `stepNumber` (1-based: Adam's bias correction uses it) of the
    // parameters [first, first + count) of the store's flat buffer, with the
    // same slice of the state. The step count is not touched. Disjoint slices
    // may be updated from different threads at once: a pipeline stage updates
    // its own parameters the moment its last backward is done. Updating every
    // slice gives bit for bit what step() gives: each parameter's update
    // depends on that parameter alone. It touches nothing outside its slice.
    virtual void updateRange(Backend& backend, ParameterStore& store, int64_t first, int64_t count,
                             int64_t stepNumber) = 0;

    int64_t stepCount() const { return stepCount_; }
    void setStepCount(int64_t steps) { stepCount_ = steps; }
    // The state vectors, each parameterCount() floats (SGD: velocity; Adam: m, v),
    // on the host. After placeOn(), they are a staging copy, as the store's.
    std::vector<std::vector<float>>& state() { return state_; }
    const std::vector<std::vector<float>>& state() const { return state_; }

    // Moves the working state into `backend`'s memory when that is not the
    // host's (as ParameterStore::placeOn); copyStateToHost() refreshes state()
    // before a checkpoint is saved, copyStateFromHost() sends a loaded one back.
    void placeOn(Backend& backend);
    void copyStateToHost();
    void copyStateFromHost();

    // An optimizer for the parameters [first, first + count) alone (a pipeline
    // stage that keeps its own weights in another memory): the same kind,
    // hyperparameters and step count, and that slice of the host state(), not
    // placed (call copyStateToHost() first when this one is placed).
    std::unique_ptr<Optimizer> unplacedSlice(int64_t first, int64_t count) const;

protected:
    Optimizer(const OptimizerOptions& options, int64_t parameterCount, int stateVectors);
    // State vector `index`'s working array (host, or the backend's memory).
    float* stateData(size_t index) { return placed_.empty() ? state_[index].data() : placed_[index].as<float>(); }

    OptimizerOptions options_; // what it was made from (for unplacedSlice)
    int64_t stepCount_ = 0;
    std::vector<std::vector<float>> state_;
    std::vector<MemoryBlock> placed_; // one per state vector once placed off the host
};

// A 64-bit FNV-1a digest, as 16 hex digits, of the step count and the state
// vectors in order: two optimizers have equal digests iff their state agrees
// bit for bit (up to hash collisions). A placed state is copied to the host first.
std::string optimizerStateDigest(Optimizer& optimizer);

// Builds the optimizer `options.kind` for a store; throws InvalidArgument for an
// unknown kind or a non-positive learning rate.
std::unique_ptr<Optimizer> makeOptimizer(const OptimizerOptions& options, const ParameterStore& store);

} // namespace lpm
