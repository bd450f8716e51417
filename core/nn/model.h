// A model: a chain of units from an input sample shape to class logits (for
// a language model: token ids (T) to next-token logits (T, classes)).
// Exactly one tensor crosses between consecutive units, so a plan may cut the
// chain between any two units. Units are numbered from 0 in chain order; the
// number is part of every parameter's name ("unit3.conv1.weight") and of every
// random key, so a unit behaves the same whichever stage holds it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/layer.h"

namespace lpm {

class Model {
public:
    Model(std::string name, Shape sampleShape, int64_t classes, std::vector<std::unique_ptr<Layer>> units);

    const std::string& name() const { return name_; }
    // One sample's input shape, e.g. (1, 28, 28).
    const Shape& sampleShape() const { return sampleShape_; }
    int64_t classes() const { return classes_; }
    // Token ids per sample (T) for a language model, whose samples are
    // sequences (sample shape (T)); 0 for a model of images.
    int64_t tokens() const { return sampleShape_.rank() == 1 ? sampleShape_[0] : 0; }
    int unitCount() const { return static_cast<int>(units_.size()); }
    Layer& unit(int index) { return *units_[static_cast<size_t>(index)]; }
    const Layer& unit(int index) const { return *units_[static_cast<size_t>(index)]; }

    // Input shape (with batch) of a batch of `batch` samples.
    Shape inputShape(int64_t batch) const;
    // Output shape of every unit for a batch of `batch` samples.
    std::vector<Shape> unitOutputShapes(int64_t batch) const;
    // Per-sample cost of every unit.
    std::vector<UnitCost> unitCosts() const;

private:
    std::string name_;
    Shape sampleShape_;
    int64_t classes_;
    std::vector<std::unique_ptr<Layer>> units_;
};

// The name prefix of unit `index`'s parameters and buffers: "unit<index>.".
std::string unitPrefix(int index);

} // namespace lpm
