// A pre-LN transformer block as one unit (a cut may fall before or after it,
// never inside), on (N, T, C):
//   x = x + attn(ln1(x))                       (causal multi-head self-attention)
//   y = x + fc2(GELU(fc1(ln2(x))))             (MLP 4C wide)
// Parameters are named after the parts: ln1.weight, attn.qkv.weight, …,
// ln2.bias, mlp.fc1.weight, mlp.fc2.bias.
#pragma once

#include "nn/causal_self_attention.h"
#include "nn/gelu.h"
#include "nn/layer_norm.h"

namespace lpm {

struct TransformerBlockOptions {
    int64_t width = 0; // C
    int64_t heads = 1;
};

class TransformerBlock final : public Layer {
public:
    explicit TransformerBlock(const TransformerBlockOptions& options);

    std::string kind() const override { return "TransformerBlock"; }
    std::string describe() const override;
    Shape outputShape(const Shape& input) const override;
    UnitCost cost(const Shape& input) const override;
    Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                   std::unique_ptr<LayerContext>& context) override;
    Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    // B runs every part's B, W every part's W.
    Tensor backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    void backwardWeights(Backend& backend, LayerContext& context) override;

    void collectParameters(const std::string& prefix, std::vector<ParameterSlot*>& out) override;

private:
    template <typename PartBackward>
    Tensor inputGradient(Backend& backend, Tensor gradOutput, LayerContext& context, PartBackward&& partBackward);

    TransformerBlockOptions options_;
    LayerNorm ln1_;
    CausalSelfAttention attention_;
    LayerNorm ln2_;
    Linear fc1_;
    Gelu gelu_;
    Linear fc2_;
};

} // namespace lpm
