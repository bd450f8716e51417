#include "nn/causal_self_attention.h"

#include "tensor/error.h"

namespace lpm {

namespace {
struct AttentionContext : LayerContext {
    std::unique_ptr<LayerContext> qkvPart, projPart;
    Tensor qkv;       // (N, T, 3C)
    Tensor logSumExp; // (N, heads, T)
    // The heads' weighted values (N, T, C) are proj's input, kept by proj
    // (Linear::keptInput) until its backward or W, after this unit's B.
};
} // namespace

CausalSelfAttention::CausalSelfAttention(const CausalSelfAttentionOptions& options)
    : options_(options), qkv_({options.width, 3 * options.width, true}), proj_({options.width, options.width, true})
{
    if (options.heads <= 0 || options.width % options.heads != 0)
        throw InvalidArgument("CausalSelfAttention: " + std::to_string(options.heads)
                              + " heads do not divide the width " + std::to_string(options.width));
}

std::string CausalSelfAttention::describe() const
{
    return "width " + std::to_string(options_.width) + ", " + std::to_string(options_.heads) + " heads";
}

Shape CausalSelfAttention::outputShape(const Shape& input) const
{
    if (input.rank() != 3 || input[2] != options_.width)
        throw InvalidArgument("CausalSelfAttention " + describe() + ": expected input (N, T, "
                              + std::to_string(options_.width) + "), got " + input.toString());
    return input;
}

AttentionGeometry CausalSelfAttention::geometry(const Shape& input) const
{
    return AttentionGeometry{input[0], input[1], options_.heads, options_.width / options_.heads};
}

UnitCost CausalSelfAttention::cost(const Shape& input) const
{
    outputShape(input);
    const double tokens = double(input[1]), width = double(options_.width);
    UnitCost cost;
    cost.launches = 1; // the attention; the projections add theirs
    addUnitCost(cost, qkv_.cost(input));
    addUnitCost(cost, proj_.cost(input));
    // The scores and the weighted sum are full T×T products (the masked half
    // is computed too): 2·T²·C each forward; the backward recomputes the
    // scores and takes four more such products.
    const double square = 2.0 * tokens * tokens * width;
    cost.forwardFlops += 2.0 * square;
    cost.backwardFlops += 5.0 * square;
    // qkv and a log-normaliser per head and token (proj's cost counts the attended values it keeps).
    cost.savedBytes += int64_t(sizeof(float)) * (3 * input[1] * options_.width + options_.heads * input[1]);
    cost.outputBytes = int64_t(sizeof(float)) * input[1] * options_.width;
    return cost;
}

Tensor CausalSelfAttention::forward(Backend& backend, Tensor input, const StepInfo& step,
                                    std::unique_ptr<LayerContext>& context)
{
    const AttentionGeometry g = geometry(outputShape(input.shape()));
    auto saved = std::make_unique<AttentionContext>();
    saved->qkv = qkv_.forward(backend, std::move(input), step, saved->qkvPart);
    Tensor attended = Tensor::uninitializedLike(saved->qkv, Shape{g.batch, g.tokens, options_.width});
    saved->logSumExp = Tensor::uninitializedLike(saved->qkv, Shape{g.batch, g.heads, g.tokens});
    backend.causalAttentionForward(g, saved->qkv.data(), attended.data(), saved->logSumExp.data());
    Tensor output = proj_.forward(backend, std::move(attended), step, saved->projPart);
    context = std::move(saved);
    return output;
}

template <typename PartBackward>
Tensor CausalSelfAttention::inputGradient(Backend& backend, Tensor gradOutput, LayerContext& context,
                                          PartBackward&& partBackward)
{
    auto& saved = contextAs<AttentionContext>(context);
    const Tensor gradAttended = partBackward(proj_, std::move(gradOutput), *saved.projPart);
    const Tensor& attended = Linear::keptInput(*saved.projPart);
    Tensor gradQkv = Tensor::uninitializedLike(saved.qkv, saved.qkv.shape());
    backend.causalAttentionBackward(geometry(attended.shape()), saved.qkv.data(), attended.data(),
                                    saved.logSumExp.data(), gradAttended.data(), gradQkv.data());
    return partBackward(qkv_, std::move(gradQkv), *saved.qkvPart);
}

Tensor CausalSelfAttention::backward(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    return inputGradient(backend, std::move(gradOutput), context, fusedPartBackward(backend));
}

Tensor CausalSelfAttention::backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    return inputGradient(backend, std::move(gradOutput), context, inputPartBackward(backend));
}

void CausalSelfAttention::backwardWeights(Backend& backend, LayerContext& context)
{
    auto& saved = contextAs<AttentionContext>(context);
    qkv_.backwardWeights(backend, *saved.qkvPart);
    proj_.backwardWeights(backend, *saved.projPart);
}

void CausalSelfAttention::collectParameters(const std::string& prefix, std::vector<ParameterSlot*>& out)
{
    qkv_.collectParameters(prefix + "qkv.", out);
    proj_.collectParameters(prefix + "proj.", out);
}

} // namespace lpm
