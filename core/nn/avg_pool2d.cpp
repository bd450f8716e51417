#include "nn/avg_pool2d.h"

#include "nn/max_pool2d.h"
#include "tensor/error.h"

namespace lpm {

namespace {
struct AvgPoolContext : LayerContext {
    Shape inputShape;
};
} // namespace

AvgPool2d::AvgPool2d(const AvgPool2dOptions& options) : options_(options)
{
    if (!options.global && (options.kernel <= 0 || options.stride <= 0))
        throw InvalidArgument("AvgPool2d: kernel and stride must be positive");
}

std::string AvgPool2d::describe() const
{
    if (options_.global)
        return "whole plane";
    return std::to_string(options_.kernel) + "x" + std::to_string(options_.kernel) + " stride "
           + std::to_string(options_.stride);
}

Pool2dGeometry AvgPool2d::geometry(const Shape& input) const
{
    const std::string name = kind() + " " + describe();
    if (!options_.global)
        return poolGeometry(name, input, options_.kernel, options_.stride);
    requireRank(name, input, 4, "(N, C, H, W)");
    if (input[2] != input[3])
        throw InvalidArgument(name + ": expected a square plane, got " + input.toString());
    return poolGeometry(name, input, input[2], input[2]);
}

Shape AvgPool2d::outputShape(const Shape& input) const
{
    Pool2dGeometry g = geometry(input);
    return Shape{g.batch, g.channels, g.outHeight(), g.outWidth()};
}

UnitCost AvgPool2d::cost(const Shape& input) const
{
    const int64_t outputs = outputShape(input.withBatch(1)).elementCount();
    UnitCost cost;
    cost.forwardFlops = double(input.sampleElementCount());
    cost.backwardFlops = double(input.sampleElementCount());
    cost.outputBytes = int64_t(sizeof(float)) * outputs;
    return cost;
}

Tensor AvgPool2d::forward(Backend& backend, Tensor input, const StepInfo&, std::unique_ptr<LayerContext>& context)
{
    const Pool2dGeometry g = geometry(input.shape());
    Tensor output = Tensor::uninitializedLike(input, Shape{g.batch, g.channels, g.outHeight(), g.outWidth()});
    backend.avgPool2dForward(g, input.data(), output.data());
    auto saved = std::make_unique<AvgPoolContext>();
    saved->inputShape = input.shape();
    context = std::move(saved);
    return output;
}

Tensor AvgPool2d::backward(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<AvgPoolContext>(context);
    Tensor gradInput = Tensor::uninitializedLike(gradOutput, saved.inputShape);
    backend.avgPool2dBackward(geometry(saved.inputShape), gradOutput.data(), gradInput.data());
    return gradInput;
}

} // namespace lpm
