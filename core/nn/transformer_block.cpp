#include "nn/transformer_block.h"

#include <array>

namespace lpm {

namespace {
struct BlockContext : LayerContext {
    // ln1, attention, ln2, fc1, gelu, fc2
    std::array<std::unique_ptr<LayerContext>, 6> parts;
};
} // namespace

TransformerBlock::TransformerBlock(const TransformerBlockOptions& options)
    : options_(options), ln1_(options.width), attention_({options.width, options.heads}), ln2_(options.width),
      fc1_({options.width, 4 * options.width, true}), fc2_({4 * options.width, options.width, true})
{
}

std::string TransformerBlock::describe() const
{
    return "width " + std::to_string(options_.width) + ", " + std::to_string(options_.heads) + " heads, MLP "
           + std::to_string(4 * options_.width);
}

Shape TransformerBlock::outputShape(const Shape& input) const
{
    return attention_.outputShape(input);
}

UnitCost TransformerBlock::cost(const Shape& input) const
{
    const Shape wide = fc1_.outputShape(input.withBatch(1));
    UnitCost total;
    total.launches = 2; // the two residual additions; the parts add theirs
    addUnitCost(total, ln1_.cost(input));
    addUnitCost(total, attention_.cost(input));
    addUnitCost(total, ln2_.cost(input));
    addUnitCost(total, fc1_.cost(input));
    addUnitCost(total, gelu_.cost(wide));
    addUnitCost(total, fc2_.cost(wide));
    total.forwardFlops += 2.0 * double(input.sampleElementCount()); // the additions
    total.outputBytes = int64_t(sizeof(float)) * input.sampleElementCount();
    return total;
}

Tensor TransformerBlock::forward(Backend& backend, Tensor input, const StepInfo& step,
                                 std::unique_ptr<LayerContext>& context)
{
    outputShape(input.shape());
    auto saved = std::make_unique<BlockContext>();
    auto& parts = saved->parts;
    const int64_t count = input.elementCount();
    Tensor branch = ln1_.forward(backend, input.clone(), step, parts[0]);
    branch = attention_.forward(backend, std::move(branch), step, parts[1]);
    backend.addInPlace(count, branch.data(), input.data()); // x += attn(ln1(x))
    branch = ln2_.forward(backend, input.clone(), step, parts[2]);
    branch = fc1_.forward(backend, std::move(branch), step, parts[3]);
    branch = gelu_.forward(backend, std::move(branch), step, parts[4]);
    branch = fc2_.forward(backend, std::move(branch), step, parts[5]);
    backend.addInPlace(count, branch.data(), input.data()); // x += mlp(ln2(x))
    context = std::move(saved);
    return input;
}

template <typename PartBackward>
Tensor TransformerBlock::inputGradient(Backend& backend, Tensor gradOutput, LayerContext& context,
                                       PartBackward&& partBackward)
{
    auto& parts = contextAs<BlockContext>(context).parts;
    const int64_t count = gradOutput.elementCount();
    // Through the MLP's residual: dx = dy + ln2ᵀ(mlpᵀ(dy)).
    Tensor branch = partBackward(fc2_, gradOutput.clone(), *parts[5]);
    branch = partBackward(gelu_, std::move(branch), *parts[4]);
    branch = partBackward(fc1_, std::move(branch), *parts[3]);
    branch = partBackward(ln2_, std::move(branch), *parts[2]);
    backend.addInPlace(count, branch.data(), gradOutput.data());
    // Through the attention's residual likewise.
    branch = partBackward(attention_, gradOutput.clone(), *parts[1]);
    branch = partBackward(ln1_, std::move(branch), *parts[0]);
    backend.addInPlace(count, branch.data(), gradOutput.data());
    return gradOutput;
}

Tensor TransformerBlock::backward(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    return inputGradient(backend, std::move(gradOutput), context, fusedPartBackward(backend));
}

Tensor TransformerBlock::backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    return inputGradient(backend, std::move(gradOutput), context, inputPartBackward(backend));
}

void TransformerBlock::backwardWeights(Backend& backend, LayerContext& context)
{
    auto& parts = contextAs<BlockContext>(context).parts;
    ln1_.backwardWeights(backend, *parts[0]);
    attention_.backwardWeights(backend, *parts[1]);
    ln2_.backwardWeights(backend, *parts[2]);
    fc1_.backwardWeights(backend, *parts[3]);
    fc2_.backwardWeights(backend, *parts[5]);
}

void TransformerBlock::collectParameters(const std::string& prefix, std::vector<ParameterSlot*>& out)
{
    ln1_.collectParameters(prefix + "ln1.", out);
    attention_.collectParameters(prefix + "attn.", out);
    ln2_.collectParameters(prefix + "ln2.", out);
    fc1_.collectParameters(prefix + "mlp.fc1.", out);
    fc2_.collectParameters(prefix + "mlp.fc2.", out);
}

} // namespace lpm
