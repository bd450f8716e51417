// The output unit of a language model, on (N, T, C): the final LayerNorm, then
// a linear layer without bias to the vocabulary, giving logits (N, T, V) for
// the cross-entropy over every position. Parameters ln_f.weight, ln_f.bias,
// lm_head.weight (V, C) (untied from the token embedding).
#pragma once

#include "nn/layer_norm.h"
#include "nn/linear.h"

namespace lpm {

struct LanguageModelHeadOptions {
    int64_t width = 0;      // C
    int64_t vocabulary = 0; // V
};

class LanguageModelHead final : public Layer {
public:
    explicit LanguageModelHead(const LanguageModelHeadOptions& options);

    std::string kind() const override { return "LanguageModelHead"; }
    std::string describe() const override;
    Shape outputShape(const Shape& input) const override;
    UnitCost cost(const Shape& input) const override;
    Tensor forward(Backend& backend, Tensor input, const StepInfo& step,
                   std::unique_ptr<LayerContext>& context) override;
    Tensor backward(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    Tensor backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context) override;
    void backwardWeights(Backend& backend, LayerContext& context) override;

    void collectParameters(const std::string& prefix, std::vector<ParameterSlot*>& out) override;

private:
    LanguageModelHeadOptions options_;
    LayerNorm norm_;
    Linear projection_;
};

} // namespace lpm
