#include "tensor/shape.h"

#include "tensor/error.h"

namespace lpm {

Shape::Shape(std::initializer_list<int64_t> extents)
{
    if (extents.size() > kMaxRank)
        throw InvalidArgument("Shape: rank " + std::to_string(extents.size()) + " exceeds 4");
    for (int64_t extent : extents) {
        if (extent < 0)
            throw InvalidArgument("Shape: negative extent " + std::to_string(extent));
        extents_[rank_++] = extent;
    }
}

int64_t Shape::elementCount() const
{
    int64_t count = 1;
    for (int axis = 0; axis < rank_; ++axis)
        count *= extents_[axis];
    return count;
}

int64_t Shape::sampleElementCount() const
{
    int64_t count = 1;
    for (int axis = 1; axis < rank_; ++axis)
        count *= extents_[axis];
    return count;
}

Shape Shape::withBatch(int64_t batch) const
{
    Shape shape = *this;
    if (shape.rank_ > 0)
        shape.extents_[0] = batch;
    return shape;
}

std::string Shape::toString() const
{
    std::string text = "(";
    for (int axis = 0; axis < rank_; ++axis) {
        if (axis > 0)
            text += ", ";
        text += std::to_string(extents_[axis]);
    }
    return text + ")";
}

bool Shape::operator==(const Shape& other) const
{
    if (rank_ != other.rank_)
        return false;
    for (int axis = 0; axis < rank_; ++axis)
        if (extents_[axis] != other.extents_[axis])
            return false;
    return true;
}

} // namespace lpm
