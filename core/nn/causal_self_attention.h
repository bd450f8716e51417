// Causal multi-head self-attention on (N, T, C):
//   qkv = x·Wqkvᵀ + bqkv (one fused projection, C → 3C),
//   each head h: softmax(Q_h·K_hᵀ/√D, causal) · V_h (Backend::causalAttentionForward),
//   y = heads side by side · Wprojᵀ + bproj (C → C).
// Parameters qkv.weight (3C, C), qkv.bias, proj.weight (C, C), proj.bias.
// Keeps qkv, the attention output and one log-normaliser per (sample, head,
// token); the backward recomputes each head's scores rather than keeping them.
#pragma once

#include "nn/linear.h"

namespace lpm {

struct CausalSelfAttentionOptions {
    int64_t width = 0; // C
    int64_t heads = 1; // divides C
};

class CausalSelfAttention final : public Layer {
public:
    explicit CausalSelfAttention(const CausalSelfAttentionOptions& options);

    std::string kind() const override { return "CausalSelfAttention"; }
    std::string describe() const override;
    Shape outputShape(const Shape& input) const override;
    UnitCost cost(const Shape& input) const override;
    Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                   std::unique_ptr<LayerContext>& context) override;
    Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    // B runs the projections' B and the attention's backward; W the projections' W.
    Tensor backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    void backwardWeights(Backend& backend, LayerContext& context) override;

    void collectParameters(const std::string& prefix, std::vector<ParameterSlot*>& out) override;

private:
    AttentionGeometry geometry(const Shape& input) const;
    template <typename PartBackward>
    Tensor inputGradient(Backend& backend, Tensor gradOutput, LayerContext& context, PartBackward&& partBackward);

    CausalSelfAttentionOptions options_;
    Linear qkv_;
    Linear proj_;
};

} // namespace lpm
