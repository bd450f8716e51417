// The Layer interface: one unit of computation with a forward that returns a
// per-micro-batch context and a backward that consumes it. Nothing backward
// needs lives in layer members, so several micro-batches may be in flight.
//
// Shapes include the batch: images are (N, C, H, W), features (N, F).
// Parameters and buffers are registered by name; their storage is a view into
// the flat buffers of whoever owns the layer (a Model or a pipeline stage).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backend/backend.h"
#include "nn/unit_cost.h"
#include "tensor/tensor.h"

namespace lpm {

// How a parameter is initialised (keyed by the seed and the parameter's name).
// Weights and biases of Linear and Conv2d use U(−1/√fanIn, 1/√fanIn), the
// scale of PyTorch's defaults: with it the zoo trains stably at lr 0.05 with
// momentum 0.9, where N(0, 2/fanIn) (Kaiming) gave 0.3 points less on cnn.
// Embedding tables use N(0, 0.02²), GPT-2's scale.
enum class ParameterInit {
    UniformFanIn,
    Zeros,
    Ones,
    SmallNormal,
};

struct ParameterSlot {
    std::string localName; // as registered, e.g. "weight"
    std::string name;      // qualified when collected, e.g. "unit3.conv1.weight"
    Shape shape;
    ParameterInit init = ParameterInit::Zeros;
    int64_t fanIn = 1;
    // Values to start from instead of `init` (an imported model's weights:
    // elementCount floats), shared by every copy of the model; null for none.
    std::shared_ptr<const std::vector<float>> given;
    std::string importedFrom; // the file's tensor it was imported from, or empty
    float* value = nullptr;   // elementCount floats, bound by the owner
    float* grad = nullptr;    // accumulated by backward, zeroed by the owner
};

// Non-trained state (batch-norm running statistics), saved in checkpoints.
struct BufferSlot {
    std::string localName;
    std::string name;
    Shape shape;
    float initialValue = 0.0f;
    // A moving average: each training forward sets value ← (1 − m)·value + m·s
    // with s a statistic of its micro-batch (batch norm: m = its momentum).
    // dp replays these updates in micro-batch order (executor). 0: the buffer
    // is not an average, and an update is taken to add to it.
    float averagingMomentum = 0.0f;
    std::shared_ptr<const std::vector<float>> given; // values instead of initialValue (imported), or null
    std::string importedFrom;                        // the file's tensor it was imported from, or empty
    float* value = nullptr;
};

// What a forward needs to know about the step it belongs to.
struct StepInfo {
    bool training = true;
    // Key for this unit's randomness in this step: derived from the seed, the
    // global step and the unit's index (see tensor/random.h).
    uint64_t randomKey = 0;
    // Index of the micro-batch's first sample within its mini-batch. Random draws
    // are indexed by sample, so they do not depend on how the mini-batch is split.
    int64_t sampleOffset = 0;
    // A second forward of a micro-batch already forwarded in this step, to
    // rebuild its contexts (activation recomputation): it must compute
    // exactly what the first did and change no state the first changed
    // (batch norm's running statistics are updated once).
    bool recompute = false;
};

// What a forward keeps for its backward; each layer derives its own.
class LayerContext {
public:
    virtual ~LayerContext() = default;
};

class Layer {
public:
    virtual ~Layer() = default;

    // Short type name, e.g. "Conv2d".
    virtual std::string kind() const = 0;
    // One line of hyper-parameters, e.g. "3x3 1->32 stride 1 pad 1".
    virtual std::string describe() const = 0;
    // Output shape for an input shape (both with batch); throws InvalidArgument
    // naming the layer and the expected shape when the input does not fit.
    virtual Shape outputShape(const Shape& input) const = 0;
    // Costs for one sample of the given input shape (batch extent ignored).
    virtual UnitCost cost(const Shape& input) const = 0;

    virtual Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                           std::unique_ptr<LayerContext>& context) = 0;
    // Returns the input gradient and adds parameter gradients into the bound grads.
    // After setInputGradientNeeded(false) it may return an empty tensor instead.
    virtual Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) = 0;

    // The backward in two halves, for schedules that split it (zero bubble):
    // backwardInput (B) returns the input gradient (or, after
    // setInputGradientNeeded(false), possibly an empty tensor) and keeps in
    // `context` what backwardWeights (W) needs; W then adds the parameter
    // gradients. B followed by W leaves bit for bit what backward leaves, and
    // W runs once per B. A layer without parameters has an empty W and its B
    // is its backward (these defaults); a layer with parameters overrides both
    // (the default B throws for it, naming the layer).
    virtual Tensor backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context);
    virtual void backwardWeights(Backend& backend, LayerContext& context);

    // The first unit of a model has no one to pass its input gradient to; layers
    // that can skip computing it (Conv2d, Linear) do so when told.
    void setInputGradientNeeded(bool needed) { inputGradientNeeded_ = needed; }
    bool inputGradientNeeded() const { return inputGradientNeeded_; }

    // Marks parameter or buffer `localName` of this layer (not of its parts)
    // as imported from the file's tensor `sourceName`, starting from `values`
    // (its element count of floats) unless they are null. Throws
    // InvalidArgument naming the slot for an unknown name or a size that
    // does not match.
    void setImported(const std::string& localName, const std::string& sourceName,
                     std::shared_ptr<const std::vector<float>> values);

    // This layer's parameters and buffers (with those of its parts, names prefixed).
    virtual void collectParameters(const std::string& prefix, std::vector<ParameterSlot*>& out);
    virtual void collectBuffers(const std::string& prefix, std::vector<BufferSlot*>& out);

protected:
    ParameterSlot& registerParameter(std::string name, const Shape& shape, ParameterInit init, int64_t fanIn);
    BufferSlot& registerBuffer(std::string name, const Shape& shape, float initialValue,
                               float averagingMomentum = 0.0f);

private:
    bool inputGradientNeeded_ = true;
    // Owners keep pointers to slots, so each slot has a stable address.
    std::vector<std::unique_ptr<ParameterSlot>> parameters_;
    std::vector<std::unique_ptr<BufferSlot>> buffers_;
};

// Helpers shared by layers for input checks.
void requireRank(const std::string& layer, const Shape& input, int rank, const std::string& expected);

// What a composite unit (a residual or transformer block) runs on each part
// while it walks its parts backwards: the parts' fused backward, or their B
// (a split backward's first half).
inline auto fusedPartBackward(Backend& backend)
{
    return [&backend](Layer& part, Tensor grad, LayerContext& context) {
        return part.backward(backend, std::move(grad), context);
    };
}
inline auto inputPartBackward(Backend& backend)
{
    return [&backend](Layer& part, Tensor grad, LayerContext& context) {
        return part.backwardInput(backend, std::move(grad), context);
    };
}

// Derives the context type a backward expects; a mismatch is a programming error.
template <typename Context>
Context& contextAs(LayerContext& context)
{
    return static_cast<Context&>(context);
}
template <typename Context>
const Context& contextAs(const LayerContext& context)
{
    return static_cast<const Context&>(context);
}

} // namespace lpm
