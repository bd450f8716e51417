// The link fit (dist/link_fit.h): a latency and a bandwidth from timed
// messages, exact on times that follow the model, close on noisy ones (by
// relative error: the small message decides the latency), and refusals of
// samples that cannot give a line.
#include <gtest/gtest.h>

#include "dist/link_fit.h"
#include "expect_error.h"

namespace lpm {
namespace {

std::vector<LinkSample> linkOf(double latency, double bytesPerSecond, const std::vector<int64_t>& sizes)
{
    std::vector<LinkSample> samples;
    for (int64_t bytes : sizes)
        samples.push_back({bytes, latency + double(bytes) / bytesPerSecond});
    return samples;
}

TEST(LinkFit, RecoversTheLatencyAndBandwidthOfTimesOnTheLine)
{
    // 1 Gbit/s with 50 µs, and a shared-memory 6 GB/s with 0.3 µs.
    const LinkFit slow = fitLink(linkOf(50e-6, 125e6, {8, 65536, 1 << 20, 16 << 20}));
    EXPECT_NEAR(slow.latencySeconds, 50e-6, 1e-12);
    EXPECT_NEAR(slow.bytesPerSecond, 125e6, 1e-3);
    const LinkFit fast = fitLink(linkOf(0.3e-6, 6e9, {8, 1 << 20}));
    EXPECT_NEAR(fast.latencySeconds, 0.3e-6, 1e-15);
    EXPECT_NEAR(fast.bytesPerSecond / 6e9, 1.0, 1e-9);
}

TEST(LinkFit, NoisyTimesKeepTheSmallMessagesLatency)
{
    // ±10 % on each time: an unweighted line through 16 MiB at 2.8 ms would
    // put the latency anywhere within ±0.3 ms; relative errors keep it near 2 µs.
    std::vector<LinkSample> samples = linkOf(2e-6, 5e9, {8, 65536, 1 << 20, 16 << 20});
    const double noise[] = {1.1, 0.9, 1.1, 0.9};
    for (size_t k = 0; k < samples.size(); ++k)
        samples[k].seconds *= noise[k];
    const LinkFit fit = fitLink(samples);
    EXPECT_NEAR(fit.latencySeconds, 2e-6, 0.5e-6);
    EXPECT_NEAR(fit.bytesPerSecond / 5e9, 1.0, 0.15);
}

TEST(LinkFit, SamplesWithoutALineAreRefused)
{
    expectError<InvalidArgument>(
        [] {
            fitLink({{1024, 1e-5}, {1024, 2e-5}});
        },
        {"at least two different sizes", "2 of one size"});
    expectError<InvalidArgument>([] { fitLink({}); }, {"at least two different sizes"});
    expectError<InvalidArgument>(
        [] {
            fitLink({{8, 1e-5}, {1 << 20, 1e-6}});
        },
        {"larger messages did not take longer", "1048576 bytes"});
    expectError<InvalidArgument>(
        [] {
            fitLink({{8, 0.0}, {1 << 20, 1e-3}});
        },
        {"a message of 8 bytes took", "positive, finite"});
}

} // namespace
} // namespace lpm
