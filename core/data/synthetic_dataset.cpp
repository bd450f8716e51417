#include "data/synthetic_dataset.h"

#include <algorithm>
#include <string>
#include <utility>

#include "tensor/error.h"
#include "tensor/random.h"

namespace lpm {

namespace {

constexpr int64_t kGridSpacing = 4;    // pixels between prototype grid points
constexpr int64_t kSharedWeight = 208; // /256: share of the common component
constexpr int64_t kMaxShift = 2;       // pixels, each direction
constexpr int64_t kMinContrast = 160;  // /256
constexpr int64_t kMaxBlend = 80;      // /256: weight of the distractor class
constexpr int64_t kNoise = 56;         // uniform noise in [-56, 56] of 255

// Key coordinates, so that every kind of draw has its own stream.
constexpr uint64_t kPrototypeTag = 0x70726f746f;
constexpr uint64_t kTrainTag = 0x747261696e;
constexpr uint64_t kTestTag = 0x74657374;
constexpr uint64_t kSampleTag = 0;
constexpr uint64_t kLabelTag = 1;

void checkOption(const char* name, int64_t value, int64_t low, int64_t high)
{
    if (value < low || value > high) {
        throw InvalidArgument("makeSyntheticDataset: " + std::string(name) + " " + std::to_string(value)
                              + " is outside " + std::to_string(low) + "-" + std::to_string(high));
    }
}

// Class prototypes as integers 0-255, layout (classes, C, H, W).
std::vector<int32_t> makePrototypes(const SyntheticOptions& options)
{
    const int64_t C = options.channels, H = options.height, W = options.width;
    const int64_t gridRows = (H - 1) / kGridSpacing + 2;
    const int64_t gridCols = (W - 1) / kGridSpacing + 2;
    const int64_t gridSize = gridRows * gridCols;
    const int64_t area = kGridSpacing * kGridSpacing;
    RandomStream stream(deriveKey(options.seed, kPrototypeTag));

    // Shared component per channel, then one specific component per class
    // and channel; each is gridRows x gridCols values in 0-255.
    std::vector<int32_t> shared(static_cast<size_t>(C * gridSize));
    for (int32_t& value : shared)
        value = static_cast<int32_t>(stream.nextBelow(256));

    std::vector<int32_t> prototypes(static_cast<size_t>(options.classes * C * H * W));
    std::vector<int32_t> grid(static_cast<size_t>(gridSize));
    for (int64_t c = 0; c < options.classes; ++c) {
        for (int64_t ch = 0; ch < C; ++ch) {
            for (int64_t g = 0; g < gridSize; ++g) {
                int64_t specific = static_cast<int64_t>(stream.nextBelow(256));
                int64_t mixed = (shared[ch * gridSize + g] * kSharedWeight + specific * (256 - kSharedWeight)) >> 8;
                // Stretch so the darker half becomes background (0).
                grid[g] = static_cast<int32_t>(std::clamp<int64_t>(2 * mixed - 255, 0, 255));
            }
            int32_t* plane = prototypes.data() + (c * C + ch) * H * W;
            for (int64_t y = 0; y < H; ++y) {
                const int64_t gy = y / kGridSpacing, fy = y % kGridSpacing;
                for (int64_t x = 0; x < W; ++x) {
                    const int64_t gx = x / kGridSpacing, fx = x % kGridSpacing;
                    const int32_t* top = grid.data() + gy * gridCols + gx;
                    const int32_t* bottom = top + gridCols;
                    int64_t sum = top[0] * (kGridSpacing - fy) * (kGridSpacing - fx) + top[1] * (kGridSpacing - fy) * fx
                                  + bottom[0] * fy * (kGridSpacing - fx) + bottom[1] * fy * fx;
                    plane[y * W + x] = static_cast<int32_t>((sum + area / 2) / area);
                }
            }
        }
    }
    return prototypes;
}

// Generates `count` samples of one split from `splitKey`.
Dataset makeSplit(const SyntheticOptions& options, const std::vector<int32_t>& prototypes, int64_t count,
                  uint64_t splitKey, const std::string& name)
{
    const int64_t C = options.channels, H = options.height, W = options.width;
    const int64_t K = options.classes;
    Dataset data;
    data.name = name;
    data.count = count;
    data.channels = C;
    data.height = H;
    data.width = W;
    data.classes = K;

    // Balanced labels: i % K, then a Fisher–Yates shuffle.
    data.labels.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i)
        data.labels[i] = static_cast<int32_t>(i % K);
    RandomStream labelStream(deriveKey(splitKey, kLabelTag));
    for (int64_t i = count - 1; i > 0; --i) {
        int64_t j = static_cast<int64_t>(labelStream.nextBelow(static_cast<uint64_t>(i + 1)));
        std::swap(data.labels[i], data.labels[j]);
    }

    const int64_t sampleSize = C * H * W;
    const uint64_t sampleBase = deriveKey(splitKey, kSampleTag);
    data.images.resize(static_cast<size_t>(count * sampleSize));
    for (int64_t i = 0; i < count; ++i) {
        RandomStream stream(deriveKey(sampleBase, static_cast<uint64_t>(i)));
        const int64_t label = data.labels[i];
        const int64_t dy = static_cast<int64_t>(stream.nextBelow(2 * kMaxShift + 1)) - kMaxShift;
        const int64_t dx = static_cast<int64_t>(stream.nextBelow(2 * kMaxShift + 1)) - kMaxShift;
        const int64_t contrast = kMinContrast + static_cast<int64_t>(stream.nextBelow(257 - kMinContrast));
        const int64_t other = (label + 1 + static_cast<int64_t>(stream.nextBelow(static_cast<uint64_t>(K - 1)))) % K;
        const int64_t blend = static_cast<int64_t>(stream.nextBelow(kMaxBlend + 1));

        float* out = data.images.data() + i * sampleSize;
        for (int64_t ch = 0; ch < C; ++ch) {
            const int32_t* own = prototypes.data() + (label * C + ch) * H * W;
            const int32_t* distractor = prototypes.data() + (other * C + ch) * H * W;
            for (int64_t y = 0; y < H; ++y) {
                const int64_t sy = y - dy;
                for (int64_t x = 0; x < W; ++x) {
                    const int64_t sx = x - dx;
                    int64_t value = 0;
                    if (sy >= 0 && sy < H && sx >= 0 && sx < W) {
                        const int64_t at = sy * W + sx;
                        int64_t mixed = (own[at] * (256 - blend) + distractor[at] * blend) >> 8;
                        value = (mixed * contrast + 128) >> 8;
                    }
                    value += static_cast<int64_t>(stream.nextBelow(2 * kNoise + 1)) - kNoise;
                    value = std::clamp<int64_t>(value, 0, 255);
                    out[(ch * H + y) * W + x] = static_cast<float>(value) / 255.0f;
                }
            }
        }
    }
    return data;
}

} // namespace

DatasetSplits makeSyntheticDataset(const SyntheticOptions& options)
{
    checkOption("trainCount", options.trainCount, 1, 10'000'000);
    checkOption("testCount", options.testCount, 1, 10'000'000);
    checkOption("channels", options.channels, 1, 64);
    checkOption("height", options.height, 1, 4096);
    checkOption("width", options.width, 1, 4096);
    checkOption("classes", options.classes, 2, 1000);
    const int64_t sampleSize = options.channels * options.height * options.width;
    const int64_t largest = std::max(options.trainCount, options.testCount);
    if (sampleSize > (int64_t(1) << 30) / largest) {
        throw InvalidArgument("makeSyntheticDataset: " + std::to_string(largest) + " samples of "
                              + std::to_string(sampleSize) + " floats exceed 2^30 floats per split");
    }
    if (sampleSize > (int64_t(1) << 28) / options.classes) {
        throw InvalidArgument("makeSyntheticDataset: " + std::to_string(options.classes) + " class prototypes of "
                              + std::to_string(sampleSize) + " pixels exceed 2^28 pixels");
    }

    std::vector<int32_t> prototypes = makePrototypes(options);
    DatasetSplits splits;
    splits.train =
        makeSplit(options, prototypes, options.trainCount, deriveKey(options.seed, kTrainTag), "synthetic/train");
    splits.test =
        makeSplit(options, prototypes, options.testCount, deriveKey(options.seed, kTestTag), "synthetic/test");
    return splits;
}

} // namespace lpm
