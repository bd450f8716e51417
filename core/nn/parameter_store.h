// The flat parameter, gradient and buffer storage of a contiguous range of a
// model's units (the whole model, or one pipeline stage). Every parameter is a
// view into one float buffer in unit order, so an optimizer step is one loop,
// a transfer one copy and a checkpoint one write.
//
// Initial values are keyed by the seed and the parameter's qualified name, so
// the same model initialises identically however it is cut into stages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/model.h"
#include "tensor/memory_block.h"

namespace lpm {

class ParameterStore {
public:
    // Binds units [firstUnit, lastUnit] of `model` (which must outlive the store).
    ParameterStore(Model& model, int firstUnit, int lastUnit);
    // Binds the whole model.
    explicit ParameterStore(Model& model);

    ParameterStore(const ParameterStore&) = delete;
    ParameterStore& operator=(const ParameterStore&) = delete;

    // Draws every parameter from its initialiser and resets buffers (and, when
    // placed on a backend, copies them there).
    void initialize(uint64_t seed);
    void zeroGradients();

    // Moves the working values, gradients and buffers into `backend`'s memory
    // when that is not the host's (a GPU), and points every slot there; from
    // then on values(), gradients() and buffers() are pointers in that memory.
    // The host vectors stay as a staging copy: copyToHost() refreshes them for
    // digests and checkpoints, copyFromHost() sends edits back. The backend
    // must outlive the store.
    void placeOn(Backend& backend);
    bool placedOffHost() const { return !space_.isHost(); }
    MemorySpace space() const { return space_; } // where the working arrays are
    void copyToHost() const;
    void copyFromHost();
    // The host copies (current after copyToHost() when placed off the host).
    const float* hostValues() const { return values_.data(); }
    float* hostValues() { return values_.data(); }
    const float* hostBuffers() const { return buffers_.data(); }
    float* hostBuffers() { return buffers_.data(); }

    int64_t parameterCount() const { return static_cast<int64_t>(values_.size()); }
    // The model units bound: [firstUnit(), lastUnit()].
    int firstUnit() const { return firstUnit_; }
    int lastUnit() const { return firstUnit_ + static_cast<int>(unitOffsets_.size()) - 2; }
    // Where unit `unit`'s parameters begin in the flat buffers (units are laid
    // out in order, so units [a, b] own [offset(a), offset(b + 1))); `unit` is
    // a model unit index in [firstUnit, lastUnit + 1].
    int64_t unitParameterOffset(int unit) const;
    // The same for the buffers (batch-norm statistics).
    int64_t unitBufferOffset(int unit) const;
    // Zeroes the gradients [first, first + count). When placed off the host,
    // the zeroing is queued on the placing backend, or on `on` (a pipeline
    // stage's backend, so it is ordered after that stage's update).
    void zeroGradients(int64_t first, int64_t count);
    void zeroGradients(int64_t first, int64_t count, Backend& on);
    int64_t bufferCount() const { return static_cast<int64_t>(buffers_.size()); }
    // The working arrays: host memory, or the backend's after placeOn().
    float* values() { return working(0, values_); }
    const float* values() const { return working(0, values_); }
    float* gradients() { return working(1, gradients_); }
    const float* gradients() const { return working(1, gradients_); }
    float* buffers() { return working(2, buffers_); }
    const float* buffers() const { return working(2, buffers_); }
    const std::vector<ParameterSlot*>& parameterSlots() const { return parameterSlots_; }
    const std::vector<BufferSlot*>& bufferSlots() const { return bufferSlots_; }

private:
    void bindSlots(float* values, float* gradients, float* buffers);
    float* working(size_t block, const std::vector<float>& host) const
    {
        return placedOffHost() ? placed_[block].as<float>() : const_cast<float*>(host.data());
    }

    std::vector<ParameterSlot*> parameterSlots_;
    std::vector<BufferSlot*> bufferSlots_;
    // Host copies; mutable because copyToHost() refreshes them from a const store.
    mutable std::vector<float> values_, buffers_;
    std::vector<float> gradients_;
    MemorySpace space_;     // where the working arrays are (the host's: the host vectors)
    MemoryBlock placed_[3]; // values, gradients, buffers in space_, when not the host's
    int firstUnit_ = 0;
    std::vector<int64_t> unitOffsets_;       // [u − firstUnit]: offset of unit u; one past the last unit at the end
    std::vector<int64_t> unitBufferOffsets_; // the same for the buffers
};

// A 64-bit FNV-1a hash, as 16 hex digits, of the parameter values and then the
// buffers, in slot order: two runs have equal digests iff every bit agrees (up to
// hash collisions). A store placed off the host is copied to the host first.
std::string weightsDigest(const ParameterStore& store);

// How far apart two stores of one model are, for the parameter values and
// for the buffers apart: the largest |a − b| divided by the largest |b|
// among them (0 when every value agrees; 0 / 0 counts as 0). Throws
// InvalidArgument when their sizes differ. Stores placed off the host are
// copied first.
struct StoreDifference {
    double parameters = 0.0;
    double buffers = 0.0;
};
StoreDifference largestRelativeDifference(const ParameterStore& a, const ParameterStore& b);

} // namespace lpm
