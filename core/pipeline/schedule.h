// Schedules as action lists, one list per stage (DESIGN §1.4). The same lists
// drive the simulator and, later, the executor's workers.
//
//   sequential  one stage: F(i), B(i) for every micro-batch, then U
//   gpipe       all forwards, then all backwards, U, then a flush
//   1f1b        (p − s − 1) warm-up forwards, one-forward-one-backward, the
//               remaining backwards, U, then a flush
//   lpm         1F1B order with update unlocking: each stage updates right
//               after its own last backward and goes on without a flush
//   lpm-async   no flush and no drain: micro-batches of consecutive
//               mini-batches stream through one continuous 1F1B pipeline, and
//               each stage updates after the m-th backward of a mini-batch
//   dp          data parallel: every stage holds the whole model, runs its
//               share of the micro-batches, all-reduces gradients, then U
//
// Backwards run in micro-batch order 0..m−1 on every stage, as the sequential
// reference accumulates them, which is what makes gpipe, 1f1b and lpm exact.
#pragma once

#include <string>
#include <vector>

namespace lpm {

enum class ActionKind {
    Forward,          // F(micro-batch)
    Backward,         // B(micro-batch)
    Update,           // U: optimizer step of the stage's parameters
    SendActivation,   // to stage s + 1
    ReceiveActivation,// from stage s − 1
    SendGradient,     // to stage s − 1
    ReceiveGradient,  // from stage s + 1
    Flush,            // wait until every stage reached its Flush of this mini-batch
    AllReduce,        // dp: sum gradients over all stages (every stage takes part)
};

struct Action {
    ActionKind kind = ActionKind::Forward;
    int microBatch = -1; // within the mini-batch; −1 for U, Flush, AllReduce
    int miniBatch = 0;

    bool operator==(const Action&) const = default;
};

using StageActions = std::vector<Action>;

struct Schedule {
    std::string name;
    int stages = 1;
    int microBatches = 1;
    int miniBatches = 1;
    std::vector<StageActions> actions; // actions[s] for stage s
};

// Builds schedule `name` for the given shape. Throws InvalidArgument for an
// unknown name (listing the known ones), fewer than 1 stage, micro-batch or
// mini-batch, or `sequential` with more than one stage.
Schedule buildSchedule(const std::string& name, int stages, int microBatches, int miniBatches = 1);

const std::vector<std::string>& scheduleNames();

// Plays the lists (the simulator, with zero durations) and throws
// InvalidArgument naming the stuck stages and actions when they deadlock, the
// unmatched message when a send has no receive, or an action that addresses a
// stage, micro-batch or mini-batch outside the schedule.
void validateSchedule(const Schedule& schedule);

std::string describeAction(const Action& action);

} // namespace lpm
