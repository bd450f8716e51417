#include "nn/model_outline.h"

#include <map>

#include "nn/model_zoo.h"

namespace lpm {

namespace {
// "(16, 28, 28)" for a batch shape (1, 16, 28, 28): one sample's extents.
std::string sampleShapeText(const Shape& batchShape)
{
    std::string text = "(";
    for (int axis = 1; axis < batchShape.rank(); ++axis)
        text += (axis > 1 ? ", " : "") + std::to_string(batchShape[axis]);
    return text + ")";
}
} // namespace

double ModelOutline::forwardFlops() const
{
    double flops = 0.0;
    for (const UnitOutline& unit : units)
        flops += unit.cost.forwardFlops;
    return flops;
}

int64_t ModelOutline::parameterBytes() const
{
    int64_t bytes = 0;
    for (const UnitOutline& unit : units)
        bytes += unit.cost.parameterBytes;
    return bytes;
}

ModelOutline outlineModel(const std::string& name)
{
    const Model model = buildModel(name);
    ModelOutline outline;
    outline.name = model.name();
    for (const ZooEntry& entry : modelZoo())
        if (entry.name == name)
            outline.summary = entry.summary;
    outline.sampleShape = model.sampleShape().toString(); // already one sample
    outline.tokens = model.tokens();
    const std::vector<UnitCost> costs = model.unitCosts();
    const std::vector<Shape> shapes = model.unitOutputShapes(1);
    for (int index = 0; index < model.unitCount(); ++index) {
        outline.units.push_back({model.unit(index).kind(), model.unit(index).describe(),
                                 sampleShapeText(shapes[size_t(index)]), costs[size_t(index)]});
    }
    return outline;
}

std::vector<std::string> labelUnits(const ModelOutline& outline)
{
    std::map<std::string, int> seen; // units of each kind so far
    std::vector<std::string> labels;
    for (const UnitOutline& unit : outline.units) {
        std::string label = unit.kind + " #" + std::to_string(++seen[unit.kind]);
        if (!unit.description.empty())
            label += " (" + unit.description + ")";
        labels.push_back(std::move(label));
    }
    return labels;
}

std::vector<std::string> zooModelNames()
{
    std::vector<std::string> names;
    for (const ZooEntry& entry : modelZoo())
        names.push_back(entry.name);
    return names;
}

} // namespace lpm
