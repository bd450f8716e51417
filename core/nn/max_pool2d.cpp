#include "nn/max_pool2d.h"

#include "tensor/error.h"

namespace lpm {

namespace {
struct MaxPoolContext : LayerContext {
    Shape inputShape;
    MemoryBlock argmax; // int32 (N, C, Ho, Wo), in the input's memory space
};
} // namespace

Pool2dGeometry poolGeometry(const std::string& layer, const Shape& input, int64_t kernel, int64_t stride)
{
    requireRank(layer, input, 4, "(N, C, H, W)");
    if (input[2] < kernel || input[3] < kernel)
        throw InvalidArgument(layer + ": input " + input.toString() + " is smaller than the " + std::to_string(kernel)
                              + "x" + std::to_string(kernel) + " window");
    Pool2dGeometry g;
    g.batch = input[0];
    g.channels = input[1];
    g.inHeight = input[2];
    g.inWidth = input[3];
    g.kernel = kernel;
    g.stride = stride;
    return g;
}

MaxPool2d::MaxPool2d(const MaxPool2dOptions& options) : options_(options)
{
    if (options.kernel <= 0 || options.stride <= 0)
        throw InvalidArgument("MaxPool2d: kernel and stride must be positive");
}

std::string MaxPool2d::describe() const
{
    return std::to_string(options_.kernel) + "x" + std::to_string(options_.kernel) + " stride "
           + std::to_string(options_.stride);
}

Pool2dGeometry MaxPool2d::geometry(const Shape& input) const
{
    return poolGeometry("MaxPool2d " + describe(), input, options_.kernel, options_.stride);
}

Shape MaxPool2d::outputShape(const Shape& input) const
{
    Pool2dGeometry g = geometry(input);
    return Shape{g.batch, g.channels, g.outHeight(), g.outWidth()};
}

UnitCost MaxPool2d::cost(const Shape& input) const
{
    const Shape output = outputShape(input.withBatch(1));
    const int64_t outputs = output.elementCount();
    UnitCost cost;
    cost.forwardFlops = double(outputs * options_.kernel * options_.kernel);
    cost.backwardFlops = double(input.sampleElementCount() + outputs);
    cost.outputBytes = int64_t(sizeof(float)) * outputs;
    cost.savedBytes = int64_t(sizeof(int32_t)) * outputs;
    return cost;
}

Tensor MaxPool2d::forward(Backend& backend, Tensor input, const StepInfo&, std::unique_ptr<LayerContext>& context)
{
    const Pool2dGeometry g = geometry(input.shape());
    Tensor output = Tensor::uninitializedLike(input, Shape{g.batch, g.channels, g.outHeight(), g.outWidth()});
    auto saved = std::make_unique<MaxPoolContext>();
    saved->inputShape = input.shape();
    saved->argmax = MemoryBlock(input.space(), int64_t(sizeof(int32_t)) * output.elementCount());
    backend.maxPool2dForward(g, input.data(), output.data(), saved->argmax.as<int32_t>());
    context = std::move(saved);
    return output;
}

Tensor MaxPool2d::backward(Backend& backend, Tensor gradOutput, LayerContext& context)
{
    auto& saved = contextAs<MaxPoolContext>(context);
    Tensor gradInput = Tensor::uninitializedLike(gradOutput, saved.inputShape);
    backend.maxPool2dBackward(geometry(saved.inputShape), gradOutput.data(), saved.argmax.as<int32_t>(),
                              gradInput.data());
    return gradInput;
}

} // namespace lpm
