// Shape of a float32 tensor: up to four extents, in (N, C, H, W) order for
// images and (N, F) for feature vectors. Extents are non-negative.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace lpm {

class Shape {
public:
    static constexpr int kMaxRank = 4;

    Shape() = default;
    Shape(std::initializer_list<int64_t> extents);

    int rank() const { return rank_; }
    int64_t operator[](int axis) const { return extents_[axis]; }
    int64_t& operator[](int axis) { return extents_[axis]; }
    // Product of all extents (1 for rank 0).
    int64_t elementCount() const;
    // Product of the extents after the first: one sample's element count.
    int64_t sampleElementCount() const;
    // The same shape with the first extent replaced.
    Shape withBatch(int64_t batch) const;
    std::string toString() const;

    bool operator==(const Shape& other) const;
    bool operator!=(const Shape& other) const { return !(*this == other); }

private:
    std::array<int64_t, kMaxRank> extents_{};
    int rank_ = 0;
};

} // namespace lpm
