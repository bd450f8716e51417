// Schedules as action lists: deadlock-free, complete, ordered as the exact
// schedules need, and with the in-flight activations of DESIGN §1.4.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "expect_error.h"
#include "schedule/schedule.h"
#include "sim/simulator.h"

namespace lpm {
namespace {

int count(const StageActions& actions, ActionKind kind, int miniBatch = -1)
{
    return int(std::count_if(actions.begin(), actions.end(), [&](const Action& a) {
        return a.kind == kind && (miniBatch < 0 || a.miniBatch == miniBatch);
    }));
}

TEST(Schedule, EveryScheduleIsCompleteOrderedAndDeadlockFree)
{
    for (const std::string& name : scheduleNames())
        for (int workers = 1; workers <= 5; ++workers)
            for (int micro : {1, 2, 3, 4, 8})
                for (int mini : {1, 3})
                    for (int chunks : {1, 2, 3}) {
                        const ScheduleTraits traits = scheduleTraits(name);
                        // Interleaved: 2 or 3 chunks, and micro-batches in groups of one per worker.
                        if ((traits.singleStage && workers > 1) || (chunks > 1) != traits.interleaved
                            || (traits.interleaved && micro % workers != 0))
                            continue;
                        const int stages = workers * chunks;
                        const Schedule schedule = buildSchedule(name, stages, micro, mini, chunks);
                        SCOPED_TRACE(name + " p=" + std::to_string(workers) + " v=" + std::to_string(chunks)
                                     + " m=" + std::to_string(micro) + " mini=" + std::to_string(mini));
                        EXPECT_EQ(schedule.workers, workers);
                        ASSERT_EQ(schedule.actions.size(), size_t(workers));
                        EXPECT_NO_THROW(validateSchedule(schedule));
                        int dataParallelForwards = 0;
                        for (int s = 0; s < stages; ++s) {
                            const StageActions actions = actionsOfStage(schedule, s);
                            // Stage s on worker s mod workers.
                            for (const Action& a : schedule.actions[size_t(s % workers)])
                                EXPECT_EQ(a.stage % workers, s % workers);
                            for (int t = 0; t < mini; ++t) {
                                EXPECT_EQ(count(actions, ActionKind::Update, t), 1);
                                // Backwards, and Ws, in micro-batch order, as the sequential reference
                                // accumulates; each W after its B, and the update after the last W.
                                const int first = traits.replicated ? s : 0, step = traits.replicated ? stages : 1;
                                int nextBackward = first, nextWeights = first;
                                bool updated = false;
                                for (const Action& a : actions) {
                                    if (a.miniBatch != t)
                                        continue;
                                    if (a.kind == ActionKind::Backward) {
                                        EXPECT_EQ(a.microBatch, nextBackward);
                                        nextBackward += step;
                                    } else if (a.kind == ActionKind::WeightGradient) {
                                        EXPECT_EQ(a.microBatch, nextWeights);
                                        EXPECT_LT(a.microBatch, nextBackward);
                                        EXPECT_FALSE(updated);
                                        nextWeights += step;
                                    } else if (a.kind == ActionKind::Update) {
                                        updated = true;
                                    }
                                }
                                EXPECT_EQ(count(actions, ActionKind::WeightGradient, t),
                                          traits.splitsBackward ? micro : 0);
                                if (!traits.replicated) {
                                    EXPECT_EQ(count(actions, ActionKind::Forward, t), micro);
                                }
                            }
                            dataParallelForwards += count(actions, ActionKind::Forward);
                        }
                        for (const StageActions& list : schedule.actions) // a flush is the worker's
                            EXPECT_EQ(count(list, ActionKind::Flush), traits.flushes ? mini : 0);
                        if (traits.replicated) {
                            EXPECT_EQ(dataParallelForwards, micro * mini); // each micro-batch once
                        }
                    }
}

TEST(Schedule, InFlightActivationsFollowTheSchedule)
{
    const int stages = 4, micro = 8;
    const std::vector<int> gpipe = peakInFlightMicroBatches(buildSchedule("gpipe", stages, micro));
    const std::vector<int> oneForwardOneBackward = peakInFlightMicroBatches(buildSchedule("1f1b", stages, micro));
    const std::vector<int> lpm = peakInFlightMicroBatches(buildSchedule("lpm", stages, micro));
    ASSERT_EQ(gpipe.size(), size_t(stages));
    for (int s = 0; s < stages; ++s) {
        EXPECT_EQ(gpipe[size_t(s)], micro);
        EXPECT_EQ(oneForwardOneBackward[size_t(s)], stages - s);
        EXPECT_EQ(lpm[size_t(s)], stages - s); // 1F1B memory
    }
    // Fewer micro-batches than stages: never more in flight than there are.
    EXPECT_EQ(peakInFlightMicroBatches(buildSchedule("1f1b", 6, 2))[0], 2);
    // The worst stage, on a plan's devices: what the memory model charges.
    EXPECT_EQ(peakInFlightMicroBatches("gpipe", 4, 8), 8);
    EXPECT_EQ(peakInFlightMicroBatches("1f1b", 4, 8), 4);
    EXPECT_EQ(peakInFlightMicroBatches("lpm", 6, 2), 2);
    EXPECT_EQ(peakInFlightMicroBatches("sequential", 4, 8), 1); // runs on one of the devices
    EXPECT_EQ(peakInFlightMicroBatches("dp", 4, 8), 1);
}

TEST(Schedule, LpmAsyncKeepsThePipelineFullAcrossMiniBatches)
{
    const Schedule schedule = buildSchedule("lpm-async", 3, 4, 2);
    const StageActions& first = schedule.actions[0];
    // Stage 0 forwards mini-batch 1 before it updates for mini-batch 0: no flush, no drain.
    const auto update0 = std::find(first.begin(), first.end(), Action{ActionKind::Update, -1, 0});
    const auto forward1 = std::find(first.begin(), first.end(), Action{ActionKind::Forward, 0, 1});
    ASSERT_NE(update0, first.end());
    ASSERT_NE(forward1, first.end());
    EXPECT_LT(forward1 - first.begin(), update0 - first.begin());
    // The lpm schedule instead finishes mini-batch 0, updates, then starts mini-batch 1.
    const Schedule lockedSchedule = buildSchedule("lpm", 3, 4, 2);
    const StageActions& locked = lockedSchedule.actions[0];
    EXPECT_GT(std::find(locked.begin(), locked.end(), Action{ActionKind::Forward, 0, 1}) - locked.begin(),
              std::find(locked.begin(), locked.end(), Action{ActionKind::Update, -1, 0}) - locked.begin());
}

TEST(Schedule, ValidationNamesDeadlocksAndLostMessages)
{
    Schedule broken{"broken", 2, 1, 1, 2, {}};
    // Both stages wait for the other first.
    broken.actions = {{{ActionKind::ReceiveGradient, 0, 0, 0}, {ActionKind::SendActivation, 0, 0, 0}},
                      {{ActionKind::ReceiveActivation, 0, 0, 1}, {ActionKind::SendGradient, 0, 0, 1}}};
    expectError<InvalidArgument>(
        [&] { validateSchedule(broken); },
        {"broken deadlocks", "stage 0 waits at receive gradient(0)", "stage 1 waits at receive activation(0)"});
    broken.actions = {{{ActionKind::SendActivation, 0, 0, 0}}, {}};
    expectError<InvalidArgument>([&] { validateSchedule(broken); }, {"activation sent to stage 1", "never received"});
    broken.actions = {{}, {{ActionKind::SendActivation, 0, 0, 1}}}; // the last stage has no successor
    expectError<InvalidArgument>([&] { validateSchedule(broken); },
                                 {"send activation(0)", "stage 2, outside the schedule"});
    broken.actions = {{{ActionKind::Forward, 0, 0, 0}, {ActionKind::SendActivation, 0, 5, 0}}, {}};
    expectError<InvalidArgument>([&] { validateSchedule(broken); }, {"mini-batch 5", "outside"});
    broken.actions = {{{ActionKind::Flush, -1, 0, 0}}, {{ActionKind::Update, -1, 0, 1}}};
    expectError<InvalidArgument>([&] { validateSchedule(broken); }, {"stage 0 waits at flush"});
    broken.actions = {{{ActionKind::Forward, 0, 0, 2}}, {}};
    expectError<InvalidArgument>([&] { validateSchedule(broken); }, {"F(0) of mini-batch 0 names stage 2"});
}

TEST(Schedule, BadRequestsAreClearErrors)
{
    expectError<InvalidArgument>([] { buildSchedule("pipedream", 2, 4); },
                                 {"pipedream", "sequential, gpipe, 1f1b, lpm, lpm-async, dp"});
    expectError<InvalidArgument>([] { buildSchedule("sequential", 2, 4); }, {"one stage"});
    expectError<InvalidArgument>([] { buildSchedule("gpipe", 2, 0); }, {"at least 1"});
    expectError<InvalidArgument>([] { buildSchedule("1f1b", 4, 4, 1, 2); },
                                 {"1f1b runs one model chunk per device, not 2", "--chunks is for interleaved"});
    expectError<InvalidArgument>([] { buildSchedule("interleaved", 4, 4, 1, 1); },
                                 {"at least 2 model chunks per device", "got 1 chunks for 4 stages"});
    expectError<InvalidArgument>([] { buildSchedule("interleaved", 5, 4, 1, 2); }, {"got 2 chunks for 5 stages"});
}

// Recomputation puts an R before every B of the stages asked, ahead of that
// B's gradient receive, and leaves the other stages and actions as they were.
TEST(Schedule, RecomputationPutsAnRBeforeEveryBackwardOfItsStages)
{
    for (const std::string& name : scheduleNames())
        for (int micro : {2, 6}) {
            const ScheduleTraits traits = scheduleTraits(name);
            // (Interleaved: 2 chunks on 2 workers; every stage of a worker is in its list.)
            const int chunks = traits.interleaved ? 2 : 1;
            const int stages = traits.singleStage ? 1 : traits.interleaved ? 4 : 3;
            SCOPED_TRACE(name + " m=" + std::to_string(micro));
            const Schedule plain = buildSchedule(name, stages, micro, 2, chunks);
            Schedule recomputing = plain;
            std::vector<bool> which(size_t(stages), false);
            which[0] = true; // the first stage, and the last where there are several
            which.back() = true;
            insertRecomputation(recomputing, which);
            EXPECT_NO_THROW(validateSchedule(recomputing));
            for (size_t w = 0; w < recomputing.actions.size(); ++w) {
                const StageActions& actions = recomputing.actions[w];
                StageActions withoutR;
                std::copy_if(actions.begin(), actions.end(), std::back_inserter(withoutR),
                             [](const Action& a) { return a.kind != ActionKind::Recompute; });
                EXPECT_EQ(withoutR, plain.actions[w]);
            }
            for (int s = 0; s < stages; ++s) {
                const StageActions actions = actionsOfStage(recomputing, s);
                EXPECT_EQ(count(actions, ActionKind::Recompute),
                          which[size_t(s)] ? count(actions, ActionKind::Backward) : 0);
                for (size_t i = 0; i < actions.size(); ++i) {
                    if (actions[i].kind != ActionKind::Recompute)
                        continue;
                    // Its B follows, after at most its own gradient's receive.
                    size_t next = i + 1;
                    if (actions[next].kind == ActionKind::ReceiveGradient) {
                        EXPECT_EQ(actions[next].microBatch, actions[i].microBatch);
                        ++next;
                    }
                    ASSERT_LT(next, actions.size());
                    EXPECT_EQ(actions[next].kind, ActionKind::Backward);
                    EXPECT_EQ(actions[next].microBatch, actions[i].microBatch);
                    EXPECT_EQ(actions[next].miniBatch, actions[i].miniBatch);
                }
            }
            // The memory counts are the schedule's own.
            EXPECT_EQ(peakInFlightMicroBatches(recomputing), peakInFlightMicroBatches(plain));
        }
    Schedule schedule = buildSchedule("1f1b", 2, 4);
    expectError<InvalidArgument>([&] { insertRecomputation(schedule, {true}); },
                                 {"recomputation named for 1 stages", "has 2"});
    EXPECT_STREQ(actionKindLook(ActionKind::Recompute).symbol, "R");
}

// The traits agree with the action lists they describe.
TEST(Schedule, TraitsDescribeTheActionLists)
{
    for (const std::string& name : scheduleNames()) {
        SCOPED_TRACE(name);
        const ScheduleTraits traits = scheduleTraits(name);
        const int chunks = traits.interleaved ? 2 : 1; // (interleaved: 2 chunks on each of 2 workers)
        const int stages = traits.singleStage ? 1 : 2 * chunks;
        const Schedule schedule = buildSchedule(name, stages, 4, 2, chunks);
        EXPECT_EQ(traits.stagesOn(2, chunks), traits.singleStage ? 1 : stages);
        bool transfers = false, allReduce = false, flush = false;
        for (const StageActions& actions : schedule.actions)
            for (const Action& action : actions) {
                transfers |= action.kind == ActionKind::SendActivation;
                allReduce |= action.kind == ActionKind::AllReduce;
                flush |= action.kind == ActionKind::Flush;
            }
        // Replicas exchange no activations, and sum their gradients.
        EXPECT_EQ(traits.replicated, allReduce);
        EXPECT_EQ(traits.replicated, !transfers && !traits.singleStage);
        // Continuous: mini-batch 1's first forward on stage 0 comes before its update of mini-batch 0.
        const StageActions& first = schedule.actions[0];
        const auto position = [&](ActionKind kind, int miniBatch) {
            return std::find_if(first.begin(), first.end(),
                                [&](const Action& a) { return a.kind == kind && a.miniBatch == miniBatch; })
                   - first.begin();
        };
        EXPECT_EQ(traits.continuous, position(ActionKind::Forward, 1) < position(ActionKind::Update, 0));
        EXPECT_EQ(traits.allowsWeightStash(), traits.continuous);
        EXPECT_EQ(traits.fixedCuts(), traits.singleStage || traits.replicated);
        EXPECT_EQ(traits.flushes, flush);
    }
    EXPECT_TRUE(scheduleTraits(kSequentialSchedule).singleStage);
    EXPECT_FALSE(scheduleTraits(kPipelinedSchedule).fixedCuts());
    expectError<InvalidArgument>([] { scheduleTraits("pipedream"); }, {"unknown schedule 'pipedream'", "lpm-async"});
}

} // namespace
} // namespace lpm
