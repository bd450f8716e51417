// The simulator against closed forms on uniform stages, and its bookkeeping.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "expect_error.h"
#include "sim/simulator.h"

namespace lpm {
namespace {

std::vector<StageTimes> uniformTimes(int stages, double forward, double backward, double update = 0.0,
                                     double transfer = 0.0)
{
    return std::vector<StageTimes>(size_t(stages), StageTimes{forward, backward, update, 0.0, transfer});
}

TEST(Simulator, GpipeAndOneForwardOneBackwardBubbleIsTheClosedForm)
{
    for (const char* name : {"gpipe", "1f1b", "lpm"})
        for (int p : {1, 2, 4, 6})
            for (int m : {1, 2, 4, 8, 16}) {
                const SimulationResult r = simulateSchedule(buildSchedule(name, p, m), uniformTimes(p, 1.0, 2.0));
                SCOPED_TRACE(std::string(name) + " p=" + std::to_string(p) + " m=" + std::to_string(m));
                EXPECT_DOUBLE_EQ(r.makespanSeconds, (m + p - 1) * 3.0);
                EXPECT_NEAR(r.bubbleFraction, double(p - 1) / double(m + p - 1), 1e-12);
                for (int s = 0; s < p; ++s) {
                    EXPECT_DOUBLE_EQ(r.busySeconds[size_t(s)], m * 3.0);
                    const int expectedInFlight = std::string(name) == "gpipe" ? m : std::min(m, p - s);
                    EXPECT_EQ(r.peakInFlightMicroBatches[size_t(s)], expectedInFlight);
                }
            }
}

// Equal F, B and W (one unit each: the whole backward 2, W 1 of it), free transfers.
std::vector<StageTimes> splitTimes(int stages)
{
    std::vector<StageTimes> times = uniformTimes(stages, 1.0, 2.0);
    for (StageTimes& t : times)
        t.weightGradient = 1.0;
    return times;
}

// Idle time of stage s between its first action's start and its last's end.
double idleInside(const SimulationResult& result, int stage)
{
    double first = 1e300, last = 0.0, busy = 0.0;
    for (const TimelineEvent& event : result.timeline.events)
        if (event.stage == stage && event.end > event.start) {
            first = std::min(first, event.start);
            last = std::max(last, event.end);
            busy += event.end - event.start;
        }
    return last - first - busy;
}

TEST(Simulator, ZeroBubbleSchedulesMeetTheirClosedForms)
{
    for (int p : {2, 3, 4, 8})
        for (int m : {2 * p - 1, 2 * p, 4 * p}) {
            SCOPED_TRACE("p=" + std::to_string(p) + " m=" + std::to_string(m));
            const double oneForwardOneBackward = 3.0 * (p - 1); // 1F1B's bubble per stage: (p − 1)(F + B + W)
            const SimulationResult h1 = simulateSchedule(buildSchedule("zb-h1", p, m), splitTimes(p));
            const SimulationResult h2 = simulateSchedule(buildSchedule("zb-h2", p, m), splitTimes(p));
            for (int s = 0; s < p; ++s) {
                EXPECT_DOUBLE_EQ(h1.busySeconds[size_t(s)], 3.0 * m);
                // 1F1B's activations: p − s micro-batches before their B on stage s (ZB-H2: 2(p − s) − 1).
                EXPECT_LE(h1.peakInFlightMicroBatches[size_t(s)], p - s);
                EXPECT_EQ(h2.peakInFlightMicroBatches[size_t(s)], std::min(m, 2 * (p - s) - 1));
                // ZB-H2: no bubble inside the pipeline, only its ramp.
                EXPECT_DOUBLE_EQ(idleInside(h2, s), 0.0) << "stage " << s;
            }
            // ZB-H1: a third of 1F1B's bubble, (p − 1)(F + B − W), at p = 2 and at p = 4 from m = 2p;
            // within 3 steps of it otherwise, and never more than half of 1F1B's.
            const double h1Bubble = h1.makespanSeconds - 3.0 * m;
            if (p == 2 || (p == 4 && m >= 2 * p)) {
                EXPECT_DOUBLE_EQ(h1Bubble, oneForwardOneBackward / 3.0);
            }
            EXPECT_LE(h1Bubble, oneForwardOneBackward / 3.0 + 3.0);
            EXPECT_LE(h1Bubble, oneForwardOneBackward / 2.0);
            EXPECT_DOUBLE_EQ(h2.makespanSeconds, 3.0 * m + (p - 1));
        }
}

TEST(Simulator, LpmZeroBubbleBeatsLpmAndNeverTrailsZbH1)
{
    // Three mini-batches with a slow update. (With equal stages every stage's
    // Ws end together, so there is no update for lpm-zb's unlocking to hide
    // behind zb-h1's flush: they tie.)
    for (int p : {2, 4}) {
        std::vector<StageTimes> times = splitTimes(p);
        for (StageTimes& t : times)
            t.update = 4.0;
        const double lpm = simulateSchedule(buildSchedule("lpm", p, 8, 3), times).makespanSeconds;
        const double zeroBubble = simulateSchedule(buildSchedule("zb-h1", p, 8, 3), times).makespanSeconds;
        const double lpmZeroBubble = simulateSchedule(buildSchedule("lpm-zb", p, 8, 3), times).makespanSeconds;
        EXPECT_LT(lpmZeroBubble, lpm) << "p=" << p;
        EXPECT_LE(lpmZeroBubble, zeroBubble) << "p=" << p;
    }
}

// An R takes a forward's time on its stage. On the last stage of 1F1B it
// lies on the critical path; on the others it runs while the stage waits for
// its gradient in the drain, so with m = 1 only the last stage's R counts.
TEST(Simulator, RecomputationTakesAForwardAndFillsTheWaitForTheGradient)
{
    for (int p : {2, 4}) {
        SCOPED_TRACE("p=" + std::to_string(p));
        const std::vector<StageTimes> times = uniformTimes(p, 1.0, 2.0);
        Schedule schedule = buildSchedule("1f1b", p, 1);
        const double plain = simulateSchedule(schedule, times).makespanSeconds;
        EXPECT_DOUBLE_EQ(plain, p * 3.0);
        insertRecomputation(schedule, std::vector<bool>(size_t(p), true));
        const SimulationResult recomputing = simulateSchedule(schedule, times);
        EXPECT_DOUBLE_EQ(recomputing.makespanSeconds, plain + 1.0);
        for (int s = 0; s < p; ++s)
            EXPECT_DOUBLE_EQ(recomputing.busySeconds[size_t(s)], 4.0);
        const auto rs = std::count_if(recomputing.timeline.events.begin(), recomputing.timeline.events.end(),
                                      [](const TimelineEvent& e) { return e.kind == ActionKind::Recompute; });
        EXPECT_EQ(rs, p);
    }
    // Where the Bs follow one another (GPipe's backward phase), every R is on the path: m more.
    const int p = 2, m = 8;
    Schedule schedule = buildSchedule("gpipe", p, m);
    const double plain = simulateSchedule(schedule, uniformTimes(p, 1.0, 2.0)).makespanSeconds;
    insertRecomputation(schedule, {true, true});
    EXPECT_DOUBLE_EQ(simulateSchedule(schedule, uniformTimes(p, 1.0, 2.0)).makespanSeconds, plain + m * 1.0);
}

// Interleaved 1F1B: a model cut into p·v equal stages (forward f, backward b
// each), v on each of p devices, takes m·v·(f + b) of work per device plus a
// ramp of (p − 1)·(f + b): 1F1B's bubble on the same model (p stages of v·f
// and v·b) divided by v. Stage 0 keeps up to 2p micro-batches (p when m = p).
TEST(Simulator, InterleavingDividesTheOneForwardOneBackwardBubbleByTheChunks)
{
    for (int p : {2, 3, 4, 8})
        for (int v : {2, 3, 4})
            for (int groups : {1, 2, 4}) {
                const int m = groups * p;
                SCOPED_TRACE("p=" + std::to_string(p) + " v=" + std::to_string(v) + " m=" + std::to_string(m));
                const Schedule interleaved = buildSchedule("interleaved", p * v, m, 1, v);
                const SimulationResult r = simulateSchedule(interleaved, uniformTimes(p * v, 1.0, 2.0));
                EXPECT_DOUBLE_EQ(r.makespanSeconds, m * v * 3.0 + (p - 1) * 3.0);
                const SimulationResult plain =
                    simulateSchedule(buildSchedule("1f1b", p, m), uniformTimes(p, 1.0 * v, 2.0 * v));
                const double bubbleTime = (p - 1) * 3.0;
                EXPECT_DOUBLE_EQ(plain.makespanSeconds - m * v * 3.0, bubbleTime * v);
                EXPECT_NEAR(r.bubbleFraction, bubbleTime / r.makespanSeconds, 1e-12); // per device
                EXPECT_EQ(r.peakInFlightMicroBatches[0], std::min(m, 2 * p));
                EXPECT_EQ(r.busySeconds.size(), size_t(p * v)); // per stage
            }
}

TEST(Simulator, AWeightGradientBeforeItsBackwardIsAnError)
{
    Schedule schedule = buildSchedule("zb-h1", 1, 2);
    StageActions& actions = schedule.actions[0];
    const auto w = std::find_if(actions.begin(), actions.end(),
                                [](const Action& a) { return a.kind == ActionKind::WeightGradient; });
    ASSERT_NE(w, actions.end());
    std::rotate(actions.begin(), w, w + 1); // the first W moves to the front
    expectError<InvalidArgument>([&] { simulateSchedule(schedule, splitTimes(1)); }, {"before its B"});
    std::vector<StageTimes> times = splitTimes(1);
    times[0].weightGradient = 3.0;
    expectError<InvalidArgument>([&] { simulateSchedule(buildSchedule("zb-h1", 1, 2), times); },
                                 {"weight-gradient time exceeds its backward"});
}

TEST(Simulator, LpmAsyncReachesAFullPipelineInSteadyState)
{
    const int p = 4, m = 4;
    auto makespan = [&](int miniBatches) {
        return simulateSchedule(buildSchedule("lpm-async", p, m, miniBatches), uniformTimes(p, 1.0, 1.0))
            .makespanSeconds;
    };
    // Each further mini-batch costs exactly m·(F + B): no flush, no bubble.
    EXPECT_DOUBLE_EQ(makespan(6) - makespan(5), m * 2.0);
    EXPECT_DOUBLE_EQ(makespan(9) - makespan(8), m * 2.0);
    // The 1F1B schedule with flushes pays the ramp every mini-batch.
    const double flushed = simulateSchedule(buildSchedule("1f1b", p, m, 6), uniformTimes(p, 1.0, 1.0)).makespanSeconds;
    EXPECT_DOUBLE_EQ(flushed, 6 * (m + p - 1) * 2.0);
    EXPECT_LT(makespan(6), flushed);
}

TEST(Simulator, UpdateUnlockingHidesASlowUpdate)
{
    const int p = 3, m = 4, miniBatches = 3;
    std::vector<StageTimes> times = uniformTimes(p, 1.0, 1.0, 0.1);
    times[size_t(p - 1)].update = 4.0; // the last stage's optimizer step is slow
    const double locked = simulateSchedule(buildSchedule("1f1b", p, m, miniBatches), times).makespanSeconds;
    const double unlocked = simulateSchedule(buildSchedule("lpm", p, m, miniBatches), times).makespanSeconds;
    EXPECT_LT(unlocked, locked);
}

TEST(Simulator, TransfersDelayTheChainAndSerialiseOnALink)
{
    // Two stages, one micro-batch: F0, transfer, F1, B1, transfer back, B0.
    const SimulationResult r = simulateSchedule(buildSchedule("gpipe", 2, 1), uniformTimes(2, 1.0, 1.0, 0.0, 0.5));
    EXPECT_DOUBLE_EQ(r.makespanSeconds, 1 + 0.5 + 1 + 1 + 0.5 + 1);
    // A transfer longer than the compute: the link, not the stages, sets the pace.
    const SimulationResult slow = simulateSchedule(buildSchedule("gpipe", 2, 4), uniformTimes(2, 1.0, 1.0, 0.0, 3.0));
    // Activations reach stage 1 at 4, 7, 10, 13: its last forward ends at 14.
    double lastForwardEnd = 0.0;
    for (const TimelineEvent& e : slow.timeline.events)
        if (e.stage == 1 && e.kind == ActionKind::Forward)
            lastForwardEnd = std::max(lastForwardEnd, e.end);
    EXPECT_DOUBLE_EQ(lastForwardEnd, 14.0);
}

TEST(Simulator, DataParallelWaitsForTheAllReduce)
{
    std::vector<StageTimes> times = uniformTimes(2, 1.0, 1.0, 0.5);
    times[0].allReduce = times[1].allReduce = 2.0;
    const SimulationResult r = simulateSchedule(buildSchedule("dp", 2, 4), times);
    // Each replica: 2 micro-batches (4 s), all-reduce (2 s), update (0.5 s).
    EXPECT_DOUBLE_EQ(r.makespanSeconds, 6.5);
    EXPECT_EQ(r.timeline.events.size(), size_t(2 * (2 * 2 + 2)));
}

TEST(Simulator, AStagePreparesEachMiniBatchsInputInItsFirstForward)
{
    std::vector<StageTimes> times = uniformTimes(2, 1.0, 1.0);
    const SimulationResult plain = simulateSchedule(buildSchedule("gpipe", 2, 4, 3), times);
    times[0].prepareInput = 0.5;
    const SimulationResult r = simulateSchedule(buildSchedule("gpipe", 2, 4, 3), times);
    for (const TimelineEvent& e : r.timeline.events)
        if (e.kind == ActionKind::Forward) {
            EXPECT_DOUBLE_EQ(e.end - e.start, e.stage == 0 && e.microBatch == 0 ? 1.5 : 1.0)
                << "stage " << e.stage << " F" << e.microBatch << " of mini-batch " << e.miniBatch;
        }
    // gpipe flushes: every mini-batch's preparation is on the critical path.
    EXPECT_DOUBLE_EQ(r.makespanSeconds, plain.makespanSeconds + 3 * 0.5);
    times[0].prepareInput = -1.0;
    expectError<InvalidArgument>([&] { simulateSchedule(buildSchedule("gpipe", 2, 4), times); }, {"negative"});
}

TEST(Simulator, TimelineHasOneEventPerComputeAction)
{
    const Schedule schedule = buildSchedule("1f1b", 3, 5, 2);
    const SimulationResult r = simulateSchedule(schedule, uniformTimes(3, 1.0, 2.0, 0.25));
    size_t computeActions = 0;
    for (const StageActions& actions : schedule.actions)
        for (const Action& a : actions)
            computeActions +=
                a.kind == ActionKind::Forward || a.kind == ActionKind::Backward || a.kind == ActionKind::Update;
    EXPECT_EQ(r.timeline.events.size(), computeActions);
    for (const TimelineEvent& e : r.timeline.events)
        EXPECT_LE(e.start, e.end);
}

TEST(Simulator, BadInputIsAClearError)
{
    expectError<InvalidArgument>([] { simulateSchedule(buildSchedule("gpipe", 3, 2), uniformTimes(2, 1, 1)); },
                                 {"2 stage times for 3 stages"});
    expectError<InvalidArgument>([] { simulateSchedule(buildSchedule("gpipe", 2, 2), uniformTimes(2, -1, 1)); },
                                 {"negative"});
}

} // namespace
} // namespace lpm
