// CpuBackend convolution: im2col over groups of samples, then one sgemm per group.
//
// For a group of G samples the column matrix is (Cin·Kh·Kw) × (G·Ho·Wo); row r =
// (c, kh, kw), column j = g·Ho·Wo + oh·Wo + ow. Grouping keeps the gemm's n large
// when Ho·Wo is small (7×7 planes) while bounding the scratch to kGroupFloats.
// The group size depends only on the geometry, and team members take whole
// groups, so results do not depend on the thread count: weight gradients are
// computed per group and summed in group order.
#include <algorithm>
#include <cstring>

#include "backend/cpu/cpu_backend.h"

#include <cblas.h>

namespace lpm {

namespace {

constexpr int64_t kGroupFloats = int64_t{1} << 20; // 4 MiB of column matrix per group

int64_t samplesPerGroup(const Conv2dGeometry& g)
{
    int64_t perSample = g.inChannels * g.kernelHeight * g.kernelWidth * g.outHeight() * g.outWidth();
    return std::clamp<int64_t>(kGroupFloats / std::max<int64_t>(perSample, 1), 1, g.batch);
}

// Range of ow for which iw = ow·stride − padding + kw lies in [0, inWidth).
std::pair<int64_t, int64_t> validColumns(const Conv2dGeometry& g, int64_t kw, int64_t outWidth)
{
    int64_t offset = kw - g.padding;
    int64_t first = offset >= 0 ? 0 : (-offset + g.stride - 1) / g.stride;
    int64_t last = (g.inWidth - 1 - offset) < 0 ? -1 : (g.inWidth - 1 - offset) / g.stride;
    return {std::min(first, outWidth), std::clamp<int64_t>(last + 1, 0, outWidth)};
}

// Copies `count` floats from `from` (with a stride) to `to`. Rows are short (7
// to 28 floats): plain loops the compiler can inline and vectorise.
inline void copyStrided(float* __restrict to, const float* __restrict from, int64_t count,
                        int64_t stride)
{
    if (stride == 1)
        for (int64_t x = 0; x < count; ++x)
            to[x] = from[x];
    else
        for (int64_t x = 0; x < count; ++x)
            to[x] = from[x * stride];
}

inline void zero(float* to, int64_t count)
{
    for (int64_t x = 0; x < count; ++x)
        to[x] = 0.0f;
}

// Fills rows [rowBegin, rowEnd) of the column matrix for samples [n0, n0 + count).
void im2colRows(const Conv2dGeometry& g, const float* input, int64_t n0, int64_t count,
                int64_t rowBegin, int64_t rowEnd, float* columns)
{
    const int64_t oh = g.outHeight(), ow = g.outWidth(), plane = oh * ow;
    const int64_t kernelArea = g.kernelHeight * g.kernelWidth;
    const int64_t width = count * plane;
    for (int64_t row = rowBegin; row < rowEnd; ++row) {
        const int64_t c = row / kernelArea, kh = (row / g.kernelWidth) % g.kernelHeight,
                      kw = row % g.kernelWidth;
        auto [first, last] = validColumns(g, kw, ow);
        for (int64_t s = 0; s < count; ++s) {
            const float* image = input + ((n0 + s) * g.inChannels + c) * g.inHeight * g.inWidth;
            float* out = columns + row * width + s * plane;
            for (int64_t y = 0; y < oh; ++y, out += ow) {
                const int64_t iy = y * g.stride - g.padding + kh;
                if (iy < 0 || iy >= g.inHeight || first >= last) {
                    zero(out, ow);
                    continue;
                }
                const float* line = image + iy * g.inWidth - g.padding + kw;
                zero(out, first);
                copyStrided(out + first, line + first * g.stride, last - first, g.stride);
                zero(out + last, ow - last);
            }
        }
    }
}

// Adds rows of the column-gradient matrix back into channels [cBegin, cEnd) of gradInput.
void col2imChannels(const Conv2dGeometry& g, const float* columns, int64_t n0, int64_t count,
                    int64_t cBegin, int64_t cEnd, float* gradInput)
{
    const int64_t oh = g.outHeight(), ow = g.outWidth(), plane = oh * ow;
    const int64_t width = count * plane;
    for (int64_t c = cBegin; c < cEnd; ++c)
        for (int64_t kh = 0; kh < g.kernelHeight; ++kh)
            for (int64_t kw = 0; kw < g.kernelWidth; ++kw) {
                const int64_t row = (c * g.kernelHeight + kh) * g.kernelWidth + kw;
                auto [first, last] = validColumns(g, kw, ow);
                for (int64_t s = 0; s < count; ++s) {
                    float* image = gradInput + ((n0 + s) * g.inChannels + c) * g.inHeight * g.inWidth;
                    const float* in = columns + row * width + s * plane;
                    for (int64_t y = 0; y < oh; ++y, in += ow) {
                        const int64_t iy = y * g.stride - g.padding + kh;
                        if (iy < 0 || iy >= g.inHeight)
                            continue;
                        float* line = image + iy * g.inWidth - g.padding + kw;
                        if (g.stride == 1) // contiguous: lets the compiler vectorise
                            for (int64_t x = first; x < last; ++x)
                                line[x] += in[x];
                        else
                            for (int64_t x = first; x < last; ++x)
                                line[x * g.stride] += in[x];
                    }
                }
            }
}

} // namespace

void CpuBackend::conv2dForward(const Conv2dGeometry& g, const float* input, const float* weight,
                               const float* bias, float* output)
{
    const int64_t plane = g.outHeight() * g.outWidth();
    const int64_t rows = g.inChannels * g.kernelHeight * g.kernelWidth;
    const int64_t group = samplesPerGroup(g);
    const int64_t groups = (g.batch + group - 1) / group;
    // Groups are independent: each team member takes whole groups with its own scratch.
    team_.parallelFor(groups, [&](int64_t begin, int64_t end, int member) {
        for (int64_t index = begin; index < end; ++index) {
            const int64_t n0 = index * group, count = std::min(group, g.batch - n0);
            const int64_t width = count * plane;
            float* columns = scratch(member, 0, rows * width);
            float* product = scratch(member, 1, g.outChannels * width);
            im2colRows(g, input, n0, count, 0, rows, columns);
            // product (Cout × width) = weight (Cout × rows) · columns (rows × width)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(g.outChannels), int(width),
                        int(rows), 1.0f, weight, int(rows), columns, int(width), 0.0f, product,
                        int(width));
            // product → output (count, Cout, plane), adding the bias.
            for (int64_t s = 0; s < count; ++s)
                for (int64_t o = 0; o < g.outChannels; ++o) {
                    float* out = output + ((n0 + s) * g.outChannels + o) * plane;
                    const float* in = product + o * width + s * plane;
                    const float shift = bias != nullptr ? bias[o] : 0.0f;
                    for (int64_t i = 0; i < plane; ++i)
                        out[i] = in[i] + shift;
                }
        }
    });
}

void CpuBackend::conv2dBackward(const Conv2dGeometry& g, const float* input, const float* weight,
                                const float* gradOutput, float* gradInput, float* gradWeight,
                                float* gradBias)
{
    const int64_t plane = g.outHeight() * g.outWidth();
    const int64_t rows = g.inChannels * g.kernelHeight * g.kernelWidth;
    const int64_t weightCount = g.outChannels * rows;
    const int64_t group = samplesPerGroup(g);
    const int64_t groups = (g.batch + group - 1) / group;
    // Per-group partial gradients (weight, then bias), summed in group order below.
    float* partials = scratch(0, 2, groups * (weightCount + g.outChannels));
    team_.parallelFor(groups, [&](int64_t begin, int64_t end, int member) {
        for (int64_t index = begin; index < end; ++index) {
            const int64_t n0 = index * group, count = std::min(group, g.batch - n0);
            const int64_t width = count * plane;
            float* columns = scratch(member, 0, rows * width);
            float* gradProduct = scratch(member, 1, g.outChannels * width);
            float* partialWeight = partials + index * (weightCount + g.outChannels);
            float* partialBias = partialWeight + weightCount;
            // gradOutput (count, Cout, plane) → gradProduct (Cout × width).
            for (int64_t s = 0; s < count; ++s)
                for (int64_t o = 0; o < g.outChannels; ++o)
                    std::memcpy(gradProduct + o * width + s * plane,
                                gradOutput + ((n0 + s) * g.outChannels + o) * plane,
                                sizeof(float) * size_t(plane));
            im2colRows(g, input, n0, count, 0, rows, columns);
            // partialWeight (Cout × rows) = gradProduct · columnsᵀ.
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(g.outChannels), int(rows),
                        int(width), 1.0f, gradProduct, int(width), columns, int(width), 0.0f,
                        partialWeight, int(rows));
            for (int64_t o = 0; o < g.outChannels; ++o) {
                const float* line = gradProduct + o * width;
                float sum = 0.0f;
                for (int64_t j = 0; j < width; ++j)
                    sum += line[j];
                partialBias[o] = sum;
            }
            if (gradInput == nullptr)
                continue;
            // gradColumns (rows × width) = weightᵀ · gradProduct, reusing the column buffer,
            // then scattered back into this group's own samples of gradInput.
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, int(rows), int(width),
                        int(g.outChannels), 1.0f, weight, int(rows), gradProduct, int(width), 0.0f,
                        columns, int(width));
            std::fill_n(gradInput + n0 * g.inChannels * g.inHeight * g.inWidth,
                        count * g.inChannels * g.inHeight * g.inWidth, 0.0f);
            col2imChannels(g, columns, n0, count, 0, g.inChannels, gradInput);
        }
    });
    // gradWeight += Σ_groups partialWeight, in group order (elements in parallel).
    team_.parallelFor(weightCount + g.outChannels, [&](int64_t begin, int64_t end, int) {
        for (int64_t i = begin; i < end; ++i) {
            float sum = 0.0f;
            for (int64_t index = 0; index < groups; ++index)
                sum += partials[index * (weightCount + g.outChannels) + i];
            if (i < weightCount)
                gradWeight[i] += sum;
            else if (gradBias != nullptr)
                gradBias[i - weightCount] += sum;
        }
    });
}

} // namespace lpm
