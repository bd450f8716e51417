// The input unit of a language model: token ids (N, T), held exactly in
// floats, become vectors (N, T, C) = token table row of each id + the learned
// position embedding of its position. Parameters token.weight (vocabulary, C)
// and position.weight (context, C), both N(0, 0.02²). The token table's
// gradient is scattered in row order (deterministic). Ids have no gradient:
// the input gradient, where asked for, is zeros.
#pragma once

#include "nn/layer.h"

namespace lpm {

struct TokenEmbeddingOptions {
    int64_t vocabulary = 0;
    int64_t context = 0; // longest sequence, T ≤ context
    int64_t width = 0;   // C
};

class TokenEmbedding final : public Layer {
public:
    explicit TokenEmbedding(const TokenEmbeddingOptions& options);

    std::string kind() const override { return "TokenEmbedding"; }
    std::string describe() const override;
    Shape outputShape(const Shape& input) const override;
    UnitCost cost(const Shape& input) const override;
    Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                   std::unique_ptr<LayerContext>& context) override;
    Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    // B gives the (zero) input gradient and keeps dy; W scatters it into the tables.
    Tensor backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    void backwardWeights(Backend& backend, LayerContext& context) override;

private:
    void addParameterGradients(Backend& backend, const Tensor& ids, const Tensor& gradOutput);
    Tensor inputGradient(Backend& backend, const Tensor& ids) const;

    TokenEmbeddingOptions options_;
    ParameterSlot& token_;
    ParameterSlot& position_;
};

} // namespace lpm
