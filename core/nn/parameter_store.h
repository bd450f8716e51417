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

namespace lpm {

class ParameterStore {
public:
    // Binds units [firstUnit, lastUnit] of `model` (which must outlive the store).
    ParameterStore(Model& model, int firstUnit, int lastUnit);
    // Binds the whole model.
    explicit ParameterStore(Model& model);

    ParameterStore(const ParameterStore&) = delete;
    ParameterStore& operator=(const ParameterStore&) = delete;

    // Draws every parameter from its initialiser and resets buffers.
    void initialize(uint64_t seed);
    void zeroGradients();

    int64_t parameterCount() const { return static_cast<int64_t>(values_.size()); }
    // Where unit `unit`'s parameters begin in the flat buffers (units are laid
    // out in order, so units [a, b] own [offset(a), offset(b + 1))); `unit` is
    // a model unit index in [firstUnit, lastUnit + 1].
    int64_t unitParameterOffset(int unit) const;
    // The same for the buffers (batch-norm statistics).
    int64_t unitBufferOffset(int unit) const;
    // Zeroes the gradients [first, first + count).
    void zeroGradients(int64_t first, int64_t count);
    int64_t bufferCount() const { return static_cast<int64_t>(buffers_.size()); }
    float* values() { return values_.data(); }
    const float* values() const { return values_.data(); }
    float* gradients() { return gradients_.data(); }
    const float* gradients() const { return gradients_.data(); }
    float* buffers() { return buffers_.data(); }
    const float* buffers() const { return buffers_.data(); }
    const std::vector<ParameterSlot*>& parameterSlots() const { return parameterSlots_; }
    const std::vector<BufferSlot*>& bufferSlots() const { return bufferSlots_; }

private:
    std::vector<ParameterSlot*> parameterSlots_;
    std::vector<BufferSlot*> bufferSlots_;
    std::vector<float> values_, gradients_, buffers_;
    int firstUnit_ = 0;
    std::vector<int64_t> unitOffsets_; // [u − firstUnit]: offset of unit u; one past the last unit at the end
    std::vector<int64_t> unitBufferOffsets_; // the same for the buffers
};

// A 64-bit FNV-1a hash, as 16 hex digits, of the parameter values and then the
// buffers, in slot order: two runs have equal digests iff every bit agrees (up to
// hash collisions).
std::string weightsDigest(const ParameterStore& store);

} // namespace lpm
