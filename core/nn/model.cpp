#include "nn/model.h"

#include "tensor/error.h"

namespace lpm {

std::string unitPrefix(int index)
{
    return "unit" + std::to_string(index) + ".";
}

Model::Model(std::string name, Shape sampleShape, int64_t classes, std::vector<std::unique_ptr<Layer>> units)
    : name_(std::move(name)), sampleShape_(sampleShape), classes_(classes), units_(std::move(units))
{
    if (units_.empty())
        throw InvalidArgument("model " + name_ + ": has no units");
    // Nothing consumes the gradient with respect to the model's input.
    units_.front()->setInputGradientNeeded(false);
    // Every unit must accept its predecessor's output, and the last must give
    // (N, classes), or (N, T, classes) for a model of sequences of T tokens.
    const std::vector<Shape> shapes = unitOutputShapes(1);
    const bool sequence = tokens() > 0 && shapes.back().rank() == 3;
    const Shape expected = sequence ? Shape{1, tokens(), classes_} : Shape{1, classes_};
    if (shapes.back() != expected)
        throw InvalidArgument("model " + name_ + ": last unit gives " + shapes.back().toString() + ", expected "
                              + expected.toString());
}

Shape Model::inputShape(int64_t batch) const
{
    Shape shape;
    switch (sampleShape_.rank()) {
    case 1:
        shape = Shape{batch, sampleShape_[0]};
        break;
    case 2:
        shape = Shape{batch, sampleShape_[0], sampleShape_[1]};
        break;
    case 3:
        shape = Shape{batch, sampleShape_[0], sampleShape_[1], sampleShape_[2]};
        break;
    default:
        throw InvalidArgument("model " + name_ + ": sample shape must have rank 1 to 3");
    }
    return shape;
}

std::vector<Shape> Model::unitOutputShapes(int64_t batch) const
{
    std::vector<Shape> shapes;
    Shape shape = inputShape(batch);
    for (const auto& unit : units_) {
        shape = unit->outputShape(shape);
        shapes.push_back(shape);
    }
    return shapes;
}

std::vector<UnitCost> Model::unitCosts() const
{
    std::vector<UnitCost> costs;
    Shape shape = inputShape(1);
    for (const auto& unit : units_) {
        costs.push_back(unit->cost(shape));
        shape = unit->outputShape(shape);
    }
    return costs;
}

} // namespace lpm
