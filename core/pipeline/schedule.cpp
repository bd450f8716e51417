#include "pipeline/schedule.h"

#include <algorithm>

#include "tensor/error.h"

namespace lpm {

namespace {

// Appends stage s's actions for one forward or backward of a micro-batch,
// with the transfers around it.
class StageBuilder {
public:
    StageBuilder(int stage, int stages, StageActions& out) : stage_(stage), stages_(stages), out_(out) {}

    void forward(int miniBatch, int microBatch)
    {
        if (stage_ > 0)
            out_.push_back({ActionKind::ReceiveActivation, microBatch, miniBatch});
        out_.push_back({ActionKind::Forward, microBatch, miniBatch});
        if (stage_ < stages_ - 1)
            out_.push_back({ActionKind::SendActivation, microBatch, miniBatch});
    }
    void backward(int miniBatch, int microBatch)
    {
        if (stage_ < stages_ - 1)
            out_.push_back({ActionKind::ReceiveGradient, microBatch, miniBatch});
        out_.push_back({ActionKind::Backward, microBatch, miniBatch});
        if (stage_ > 0)
            out_.push_back({ActionKind::SendGradient, microBatch, miniBatch});
    }
    void add(ActionKind kind, int miniBatch) { out_.push_back({kind, -1, miniBatch}); }

private:
    int stage_, stages_;
    StageActions& out_;
};

// One-forward-one-backward over `count` micro-batches (indices 0..count−1 of a
// stream), with (stages − stage − 1) warm-up forwards. `onBackward(i)` runs
// after the backward of stream index i.
template <typename Forward, typename Backward>
void oneForwardOneBackward(int stage, int stages, int count, Forward&& forward, Backward&& backward)
{
    const int warmUp = std::min(stages - stage - 1, count);
    int nextForward = 0, nextBackward = 0;
    while (nextForward < warmUp)
        forward(nextForward++);
    while (nextBackward < count) {
        if (nextForward < count)
            forward(nextForward++);
        backward(nextBackward++);
    }
}

} // namespace

const std::vector<std::string>& scheduleNames()
{
    static const std::vector<std::string> names = {"sequential", "gpipe", "1f1b", "lpm", "lpm-async", "dp"};
    return names;
}

Schedule buildSchedule(const std::string& name, int stages, int microBatches, int miniBatches)
{
    if (std::find(scheduleNames().begin(), scheduleNames().end(), name) == scheduleNames().end())
        throw InvalidArgument("unknown schedule '" + name
                              + "' (known: sequential, gpipe, 1f1b, lpm, lpm-async, dp)");
    if (stages < 1 || microBatches < 1 || miniBatches < 1)
        throw InvalidArgument("schedule " + name + ": stages, micro-batches and mini-batches must be "
                              "at least 1, got " + std::to_string(stages) + ", "
                              + std::to_string(microBatches) + ", " + std::to_string(miniBatches));
    if (name == "sequential" && stages != 1)
        throw InvalidArgument("schedule sequential runs on one stage, got "
                              + std::to_string(stages));
    Schedule schedule{name, stages, microBatches, miniBatches, std::vector<StageActions>(size_t(stages))};
    for (int s = 0; s < stages; ++s) {
        StageBuilder build(s, stages, schedule.actions[size_t(s)]);
        if (name == "lpm-async") {
            // One continuous stream: stream index g is micro-batch g mod m of mini-batch g / m.
            oneForwardOneBackward(
                s, stages, microBatches * miniBatches,
                [&](int g) { build.forward(g / microBatches, g % microBatches); },
                [&](int g) {
                    build.backward(g / microBatches, g % microBatches);
                    if (g % microBatches == microBatches - 1)
                        build.add(ActionKind::Update, g / microBatches);
                });
            continue;
        }
        for (int t = 0; t < miniBatches; ++t) {
            if (name == "sequential") {
                for (int i = 0; i < microBatches; ++i) {
                    build.forward(t, i);
                    build.backward(t, i);
                }
            } else if (name == "gpipe") {
                for (int i = 0; i < microBatches; ++i)
                    build.forward(t, i);
                for (int i = 0; i < microBatches; ++i)
                    build.backward(t, i);
            } else if (name == "dp") {
                // Replicas: no transfers; stage s takes micro-batches s, s + p, ...
                StageActions& out = schedule.actions[size_t(s)];
                for (int i = s; i < microBatches; i += stages) {
                    out.push_back({ActionKind::Forward, i, t});
                    out.push_back({ActionKind::Backward, i, t});
                }
                build.add(ActionKind::AllReduce, t);
            } else { // 1f1b, lpm
                oneForwardOneBackward(s, stages, microBatches, [&](int i) { build.forward(t, i); },
                                      [&](int i) { build.backward(t, i); });
            }
            build.add(ActionKind::Update, t);
            if (name == "gpipe" || name == "1f1b")
                build.add(ActionKind::Flush, t);
        }
    }
    return schedule;
}

std::string describeAction(const Action& action)
{
    static const char* const names[] = {"F", "B", "U", "send activation", "receive activation",
                                        "send gradient", "receive gradient", "flush", "all-reduce"};
    std::string text = names[static_cast<int>(action.kind)];
    if (action.microBatch >= 0) {
        text += '(';
        text += std::to_string(action.microBatch);
        text += ')';
    }
    text += " of mini-batch ";
    text += std::to_string(action.miniBatch);
    return text;
}

void validateSchedule(const Schedule& schedule)
{
    const int stages = int(schedule.actions.size());
    std::vector<size_t> next(size_t(stages), 0);
    // Messages in flight into each stage, by mini-batch · m + micro-batch.
    const size_t slots = size_t(schedule.miniBatches) * size_t(schedule.microBatches);
    std::vector<std::vector<int>> activations(size_t(stages), std::vector<int>(slots, 0));
    std::vector<std::vector<int>> gradients(size_t(stages), std::vector<int>(slots, 0));
    auto inFlight = [&](int stage, bool gradient, const Action& a) -> int& {
        const size_t slot = size_t(a.miniBatch) * size_t(schedule.microBatches) + size_t(a.microBatch);
        if (a.miniBatch < 0 || a.miniBatch >= schedule.miniBatches || a.microBatch < 0
            || a.microBatch >= schedule.microBatches)
            throw InvalidArgument("schedule " + schedule.name + ": stage " + std::to_string(stage)
                                  + " has an out-of-range " + describeAction(a));
        return (gradient ? gradients : activations)[size_t(stage)][slot];
    };
    auto at = [&](int s) -> const Action* {
        return next[size_t(s)] < schedule.actions[size_t(s)].size()
                   ? &schedule.actions[size_t(s)][next[size_t(s)]]
                   : nullptr;
    };
    // A collective action runs when every stage has it next (same kind and mini-batch).
    auto collectiveReady = [&](const Action& action) {
        for (int s = 0; s < stages; ++s) {
            const Action* other = at(s);
            if (other == nullptr || other->kind != action.kind || other->miniBatch != action.miniBatch)
                return false;
        }
        return true;
    };
    // Sweeps alternate direction: activations flow with a forward sweep and
    // gradients with a backward one, so each wave crosses the pipeline in one sweep.
    for (bool progress = true, upward = true; progress; upward = !upward) {
        progress = false;
        for (int i = 0, s = upward ? 0 : stages - 1; i < stages; ++i, s = upward ? i : stages - 1 - i)
            for (const Action* action = at(s); action != nullptr; action = at(s)) {
                const Action a = *action;
                if (a.kind == ActionKind::Flush || a.kind == ActionKind::AllReduce) {
                    if (!collectiveReady(a))
                        break;
                    for (int other = 0; other < stages; ++other)
                        ++next[size_t(other)];
                    progress = true;
                    break;
                }
                if (a.kind == ActionKind::SendActivation || a.kind == ActionKind::SendGradient) {
                    const bool gradient = a.kind == ActionKind::SendGradient;
                    const int to = gradient ? s - 1 : s + 1;
                    if (to < 0 || to >= stages)
                        throw InvalidArgument("schedule " + schedule.name + ": stage " + std::to_string(s)
                                              + " sends to a stage that does not exist: "
                                              + describeAction(a));
                    ++inFlight(to, gradient, a);
                } else if (a.kind == ActionKind::ReceiveActivation || a.kind == ActionKind::ReceiveGradient) {
                    int& waiting = inFlight(s, a.kind == ActionKind::ReceiveGradient, a);
                    if (waiting == 0)
                        break; // wait for the sender
                    --waiting;
                }
                ++next[size_t(s)];
                progress = true;
            }
    }
    std::string stuck;
    for (int s = 0; s < stages; ++s)
        if (const Action* action = at(s)) {
            if (!stuck.empty())
                stuck += "; ";
            stuck += "stage ";
            stuck += std::to_string(s);
            stuck += " waits at ";
            stuck += describeAction(*action);
        }
    if (!stuck.empty())
        throw InvalidArgument("schedule " + schedule.name + " deadlocks: " + stuck);
    for (int s = 0; s < stages; ++s)
        for (size_t slot = 0; slot < slots; ++slot)
            for (bool gradient : {false, true})
                if ((gradient ? gradients : activations)[size_t(s)][slot] != 0)
                    throw InvalidArgument("schedule " + schedule.name + ": a "
                                          + std::string(gradient ? "gradient" : "activation")
                                          + " sent to stage " + std::to_string(s) + " for micro-batch "
                                          + std::to_string(slot % size_t(schedule.microBatches))
                                          + " of mini-batch "
                                          + std::to_string(slot / size_t(schedule.microBatches))
                                          + " is never received");
}

} // namespace lpm
