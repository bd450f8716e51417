#include "nn/residual_block.h"

#include <array>

#include "tensor/error.h"

namespace lpm {

namespace {
struct ResidualContext : LayerContext {
    // conv1, bn1, relu1, conv2, bn2, shortcut conv, shortcut bn, output relu
    std::array<std::unique_ptr<LayerContext>, 8> parts;
};

Conv2dOptions convOptions(int64_t in, int64_t out, int64_t kernel, int64_t stride)
{
    return Conv2dOptions{in, out, kernel, stride, kernel / 2, false};
}
} // namespace

ResidualBlock::ResidualBlock(const ResidualBlockOptions& options)
    : options_(options), conv1_(convOptions(options.inChannels, options.outChannels, 3, options.stride)),
      bn1_(BatchNorm2dOptions{options.outChannels}),
      conv2_(convOptions(options.outChannels, options.outChannels, 3, 1)), bn2_(BatchNorm2dOptions{options.outChannels})
{
    if (options.inChannels != options.outChannels || options.stride != 1) {
        shortcutConv_.emplace(convOptions(options.inChannels, options.outChannels, 1, options.stride));
        shortcutBn_.emplace(BatchNorm2dOptions{options.outChannels});
    }
}

std::string ResidualBlock::describe() const
{
    return std::to_string(options_.inChannels) + "->" + std::to_string(options_.outChannels) + " stride "
           + std::to_string(options_.stride) + (hasProjection() ? " projection" : " identity");
}

Shape ResidualBlock::outputShape(const Shape& input) const
{
    return conv1_.outputShape(input);
}

UnitCost ResidualBlock::cost(const Shape& input) const
{
    UnitCost total;
    total.launches = 1; // the addition; the parts add theirs
    const Shape middle = conv1_.outputShape(input.withBatch(1));
    addUnitCost(total, conv1_.cost(input));
    addUnitCost(total, bn1_.cost(middle));
    addUnitCost(total, relu1_.cost(middle));
    addUnitCost(total, conv2_.cost(middle));
    addUnitCost(total, bn2_.cost(middle));
    if (hasProjection()) {
        addUnitCost(total, shortcutConv_->cost(input));
        addUnitCost(total, shortcutBn_->cost(middle));
    }
    addUnitCost(total, reluOut_.cost(middle));
    total.forwardFlops += double(middle.elementCount()); // the addition
    total.outputBytes = int64_t(sizeof(float)) * middle.elementCount();
    return total;
}

Tensor ResidualBlock::forward(Backend& backend, Tensor input, const StepInfo& step,
                              std::unique_ptr<LayerContext>& context)
{
    auto saved = std::make_unique<ResidualContext>();
    auto& parts = saved->parts;
    Tensor shortcut = hasProjection() ? shortcutBn_->forward(
                          backend, shortcutConv_->forward(backend, input.clone(), step, parts[5]), step, parts[6])
                                      : input.clone();
    Tensor main = conv1_.forward(backend, std::move(input), step, parts[0]);
    main = bn1_.forward(backend, std::move(main), step, parts[1]);
    main = relu1_.forward(backend, std::move(main), step, parts[2]);
    main = conv2_.forward(backend, std::move(main), step, parts[3]);
    main = bn2_.forward(backend, std::move(main), step, parts[4]);
    backend.addInPlace(main.elementCount(), shortcut.data(), main.data());
    main = reluOut_.forward(backend, std::move(main), step, parts[7]);
    context = std::move(saved);
    return main;
}

template <typename PartBackward>
Tensor ResidualBlock::inputGradient(Backend& backend, Tensor gradOutput, LayerContext& context,
                                    PartBackward&& partBackward)
{
    auto& parts = contextAs<ResidualContext>(context).parts;
    Tensor gradSum = partBackward(reluOut_, std::move(gradOutput), *parts[7]);
    Tensor gradShortcut =
        hasProjection()
            ? partBackward(*shortcutConv_, partBackward(*shortcutBn_, gradSum.clone(), *parts[6]), *parts[5])
            : gradSum.clone();
    Tensor grad = partBackward(bn2_, std::move(gradSum), *parts[4]);
    grad = partBackward(conv2_, std::move(grad), *parts[3]);
    grad = partBackward(relu1_, std::move(grad), *parts[2]);
    grad = partBackward(bn1_, std::move(grad), *parts[1]);
    grad = partBackward(conv1_, std::move(grad), *parts[0]);
    backend.addInPlace(grad.elementCount(), gradShortcut.data(), grad.data());
    return grad;
}

Tensor ResidualBlock::backward(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    return inputGradient(backend, std::move(gradOutput), context, fusedPartBackward(backend));
}

Tensor ResidualBlock::backwardInput(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    return inputGradient(backend, std::move(gradOutput), context, inputPartBackward(backend));
}

void ResidualBlock::backwardWeights(Backend& backend, LayerContext& context)
{
    auto& parts = contextAs<ResidualContext>(context).parts;
    conv1_.backwardWeights(backend, *parts[0]);
    bn1_.backwardWeights(backend, *parts[1]);
    conv2_.backwardWeights(backend, *parts[3]);
    bn2_.backwardWeights(backend, *parts[4]);
    if (hasProjection()) {
        shortcutConv_->backwardWeights(backend, *parts[5]);
        shortcutBn_->backwardWeights(backend, *parts[6]);
    }
}

void ResidualBlock::collectParameters(const std::string& prefix, std::vector<ParameterSlot*>& out)
{
    conv1_.collectParameters(prefix + "conv1.", out);
    bn1_.collectParameters(prefix + "bn1.", out);
    conv2_.collectParameters(prefix + "conv2.", out);
    bn2_.collectParameters(prefix + "bn2.", out);
    if (hasProjection()) {
        shortcutConv_->collectParameters(prefix + "shortcut_conv.", out);
        shortcutBn_->collectParameters(prefix + "shortcut_bn.", out);
    }
}

void ResidualBlock::collectBuffers(const std::string& prefix, std::vector<BufferSlot*>& out)
{
    bn1_.collectBuffers(prefix + "bn1.", out);
    bn2_.collectBuffers(prefix + "bn2.", out);
    if (hasProjection())
        shortcutBn_->collectBuffers(prefix + "shortcut_bn.", out);
}

} // namespace lpm
