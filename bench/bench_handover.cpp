// The cost of handing a tensor from one CPU stage thread to the next through
// InProcessTransport, the figure behind hostMemoryLink()'s latency: stage 0
// sends an activation, stage 1 answers with a gradient, and the round trip is
// timed on stage 0. Each round first leaves both threads idle for a while, as
// a stage waiting on its neighbour is, so a wake-up is part of every trip.
// Timed twice, side by side: waiters that block at once, and waiters that
// spin first as the executor's stages do by default.
//
//   bench_handover [--trips 2000] [--idle-us 200] [--elements 4096]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "pipeline/executor.h"
#include "pipeline/in_process_transport.h"
#include "pipeline/run_control.h"

namespace {

using Clock = std::chrono::steady_clock;

double percentile(const std::vector<double>& sorted, double fraction)
{
    return sorted[std::min(sorted.size() - 1, size_t(fraction * double(sorted.size())))];
}

// Times `trips` round trips with waiters that spin `spin` before blocking, and prints them.
void timeRoundTrips(int trips, int idleMicroseconds, int64_t elements, std::chrono::microseconds spin)
{
    // One mini-batch per trip, so no trip is ever cancelled.
    lpm::RunControl control(2, trips, spin);
    lpm::InProcessTransport transport(control, 2, 2);
    std::jthread answerer([&] {
        for (int trip = 0; trip < trips; ++trip) {
            std::optional<lpm::StageMessage> message = transport.receive(1, lpm::Direction::Activation, trip);
            transport.send(1, lpm::Direction::Gradient, std::move(*message)); // the same tensor back, as a gradient
        }
    });
    std::vector<double> roundTrips;
    for (int trip = 0; trip < trips; ++trip) {
        const Clock::time_point idleStart = Clock::now();
        while (Clock::now() - idleStart < std::chrono::microseconds(idleMicroseconds)) {
        }
        lpm::StageMessage message;
        message.miniBatch = trip;
        message.tensor = lpm::Tensor(lpm::Shape{elements});
        const Clock::time_point start = Clock::now();
        transport.send(0, lpm::Direction::Activation, std::move(message));
        const std::optional<lpm::StageMessage> answer = transport.receive(0, lpm::Direction::Gradient, trip);
        roundTrips.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
        // (The answer's tensor is freed here, outside the time.)
    }
    std::sort(roundTrips.begin(), roundTrips.end());
    std::printf("%d round trips of a %lld-float tensor, stage 0 busy %d us between them, waiters spin %lld us:\n",
                trips, static_cast<long long>(elements), idleMicroseconds, static_cast<long long>(spin.count()));
    std::printf("round trip us: p10 %.1f, median %.1f, p90 %.1f; one way (median / 2): %.1f us\n",
                percentile(roundTrips, 0.1), percentile(roundTrips, 0.5), percentile(roundTrips, 0.9),
                percentile(roundTrips, 0.5) / 2);
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app("Round trip of a tensor between two stage threads", "bench_handover");
    int trips = 2000;
    int idleMicroseconds = 200;
    int64_t elements = 4096;
    app.add_option("--trips", trips, "Round trips timed")->check(CLI::Range(10, 1000000))->capture_default_str();
    app.add_option("--idle-us", idleMicroseconds, "Stage 0 computes (spins) this long between trips")
        ->check(CLI::Range(0, 1000000))
        ->capture_default_str();
    app.add_option("--elements", elements, "Floats in each tensor handed over")
        ->check(CLI::Range(int64_t{1}, int64_t{1} << 28))
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    for (int spin : {0, int(lpm::PipelineExecutor::kDefaultWaitSpin.count())})
        timeRoundTrips(trips, idleMicroseconds, elements, std::chrono::microseconds(spin));
    return 0;
}
