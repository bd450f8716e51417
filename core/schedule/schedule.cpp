#include "schedule/schedule.h"

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

ScheduleTraits scheduleTraits(const std::string& name)
{
    if (std::find(scheduleNames().begin(), scheduleNames().end(), name) == scheduleNames().end())
        throw InvalidArgument("unknown schedule '" + name + "' (known: sequential, gpipe, 1f1b, lpm, lpm-async, dp)");
    ScheduleTraits traits;
    traits.singleStage = name == "sequential";
    traits.replicated = name == "dp";
    traits.continuous = name == "lpm-async";
    return traits;
}

Schedule buildSchedule(const std::string& name, int stages, int microBatches, int miniBatches)
{
    scheduleTraits(name); // throws for an unknown name
    if (stages < 1 || microBatches < 1 || miniBatches < 1)
        throw InvalidArgument("schedule " + name
                              + ": stages, micro-batches and mini-batches must be "
                                "at least 1, got "
                              + std::to_string(stages) + ", " + std::to_string(microBatches) + ", "
                              + std::to_string(miniBatches));
    if (name == "sequential" && stages != 1)
        throw InvalidArgument("schedule sequential runs on one stage, got " + std::to_string(stages));
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
                oneForwardOneBackward(
                    s, stages, microBatches, [&](int i) { build.forward(t, i); }, [&](int i) { build.backward(t, i); });
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
    static const char* const names[] = {
        "F",     "B",         "U", "send activation", "receive activation", "send gradient", "receive gradient",
        "flush", "all-reduce"};
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

} // namespace lpm
