#include "graph/graph.h"

namespace lpm {

const GraphTensor* Graph::find(const std::string& name) const
{
    const auto found = tensors.find(name);
    return found == tensors.end() ? nullptr : &found->second;
}

int64_t elementsPerSample(const GraphTensor& tensor)
{
    if (tensor.sampleElements >= 0)
        return tensor.sampleElements;
    if (!tensor.rankKnown)
        return -1;
    int64_t elements = 1;
    bool batchSeen = false;
    for (int64_t dim : tensor.dims) {
        if (dim == GraphTensor::kBatchDimension && !batchSeen) {
            batchSeen = true;
            continue;
        }
        if (dim < 0 || __builtin_mul_overflow(elements, dim, &elements))
            return -1;
    }
    return elements;
}

int64_t staticElements(const GraphTensor& tensor)
{
    if (!tensor.rankKnown)
        return -1;
    int64_t elements = 1;
    for (int64_t dim : tensor.dims)
        if (dim < 0 || __builtin_mul_overflow(elements, dim, &elements))
            return -1;
    return elements;
}

std::string formatGraphShape(const GraphTensor& tensor)
{
    if (!tensor.rankKnown)
        return "(unknown)";
    std::string text = "(";
    for (size_t axis = 0; axis < tensor.dims.size(); ++axis) {
        const int64_t dim = tensor.dims[axis];
        text += axis == 0 ? "" : ", ";
        text += dim == GraphTensor::kBatchDimension     ? "batch"
                : dim == GraphTensor::kUnknownDimension ? "?"
                                                        : std::to_string(dim);
    }
    return text + ")";
}

} // namespace lpm
