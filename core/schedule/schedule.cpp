#include "schedule/schedule.h"

#include <algorithm>
#include <functional>

#include "tensor/error.h"

namespace lpm {

namespace {

// Appends stage s's actions for one forward or backward of a micro-batch,
// with the transfers around it.
class StageBuilder {
public:
    StageBuilder(int stage, int stages, StageActions& out) : stage_(stage), stages_(stages), out_(out) {}

    int stage() const { return stage_; }
    int stages() const { return stages_; }

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
    // A forward and a backward without transfers (a replica holds the whole model).
    void computeWhole(int miniBatch, int microBatch)
    {
        out_.push_back({ActionKind::Forward, microBatch, miniBatch});
        out_.push_back({ActionKind::Backward, microBatch, miniBatch});
    }
    void add(ActionKind kind, int miniBatch) { out_.push_back({kind, -1, miniBatch}); }

private:
    int stage_, stages_;
    StageActions& out_;
};

// One-forward-one-backward over `count` micro-batches (indices 0..count−1 of a
// stream), with (stages − stage − 1) warm-up forwards.
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

// The builders: each appends one stage's whole list (every mini-batch).
void buildSequential(StageBuilder& build, int microBatches, int miniBatches)
{
    for (int t = 0; t < miniBatches; ++t) {
        for (int i = 0; i < microBatches; ++i) {
            build.forward(t, i);
            build.backward(t, i);
        }
        build.add(ActionKind::Update, t);
    }
}

void buildGpipe(StageBuilder& build, int microBatches, int miniBatches)
{
    for (int t = 0; t < miniBatches; ++t) {
        for (int i = 0; i < microBatches; ++i)
            build.forward(t, i);
        for (int i = 0; i < microBatches; ++i)
            build.backward(t, i);
        build.add(ActionKind::Update, t);
        build.add(ActionKind::Flush, t);
    }
}

// 1F1B per mini-batch, then the stage's update; with a flush (1f1b) or
// without (lpm: update unlocking).
void buildOneForwardOneBackward(StageBuilder& build, int microBatches, int miniBatches, bool flush)
{
    for (int t = 0; t < miniBatches; ++t) {
        oneForwardOneBackward(
            build.stage(), build.stages(), microBatches, [&](int i) { build.forward(t, i); },
            [&](int i) { build.backward(t, i); });
        build.add(ActionKind::Update, t);
        if (flush)
            build.add(ActionKind::Flush, t);
    }
}

// One continuous stream: stream index g is micro-batch g mod m of mini-batch g / m.
void buildLpmAsync(StageBuilder& build, int microBatches, int miniBatches)
{
    oneForwardOneBackward(
        build.stage(), build.stages(), microBatches * miniBatches,
        [&](int g) { build.forward(g / microBatches, g % microBatches); },
        [&](int g) {
            build.backward(g / microBatches, g % microBatches);
            if (g % microBatches == microBatches - 1)
                build.add(ActionKind::Update, g / microBatches);
        });
}

// Replicas: no transfers; stage s takes micro-batches s, s + p, ...
void buildDataParallel(StageBuilder& build, int microBatches, int miniBatches)
{
    for (int t = 0; t < miniBatches; ++t) {
        for (int i = build.stage(); i < microBatches; i += build.stages())
            build.computeWhole(t, i);
        build.add(ActionKind::AllReduce, t);
        build.add(ActionKind::Update, t);
    }
}

struct ScheduleDefinition {
    std::string name;
    ScheduleTraits traits;
    std::function<void(StageBuilder&, int microBatches, int miniBatches)> build;
};

// Every schedule, once, in the order they are offered.
const std::vector<ScheduleDefinition>& definitions()
{
    static const std::vector<ScheduleDefinition> all = {
        {"sequential", {.singleStage = true}, buildSequential},
        {"gpipe", {.flushes = true}, buildGpipe},
        {"1f1b", {.flushes = true}, [](StageBuilder& b, int m, int t) { buildOneForwardOneBackward(b, m, t, true); }},
        {"lpm", {}, [](StageBuilder& b, int m, int t) { buildOneForwardOneBackward(b, m, t, false); }},
        {"lpm-async", {.continuous = true}, buildLpmAsync},
        {"dp", {.replicated = true}, buildDataParallel},
    };
    return all;
}

const ScheduleDefinition& definitionOf(const std::string& name)
{
    for (const ScheduleDefinition& definition : definitions())
        if (definition.name == name)
            return definition;
    std::string known;
    for (const ScheduleDefinition& definition : definitions())
        known += (known.empty() ? "" : ", ") + definition.name;
    throw InvalidArgument("unknown schedule '" + name + "' (known: " + known + ")");
}

} // namespace

const std::vector<std::string>& scheduleNames()
{
    static const std::vector<std::string> names = [] {
        std::vector<std::string> list;
        for (const ScheduleDefinition& definition : definitions())
            list.push_back(definition.name);
        return list;
    }();
    return names;
}

ScheduleTraits scheduleTraits(const std::string& name)
{
    return definitionOf(name).traits;
}

Schedule buildSchedule(const std::string& name, int stages, int microBatches, int miniBatches)
{
    const ScheduleDefinition& definition = definitionOf(name);
    if (stages < 1 || microBatches < 1 || miniBatches < 1)
        throw InvalidArgument("schedule " + name
                              + ": stages, micro-batches and mini-batches must be "
                                "at least 1, got "
                              + std::to_string(stages) + ", " + std::to_string(microBatches) + ", "
                              + std::to_string(miniBatches));
    if (definition.traits.singleStage && stages != 1)
        throw InvalidArgument("schedule " + name + " runs on one stage, got " + std::to_string(stages));
    Schedule schedule{name, stages, microBatches, miniBatches, std::vector<StageActions>(size_t(stages))};
    for (int s = 0; s < stages; ++s) {
        StageBuilder build(s, stages, schedule.actions[size_t(s)]);
        definition.build(build, microBatches, miniBatches);
    }
    return schedule;
}

std::vector<int> peakInFlightMicroBatches(const Schedule& schedule)
{
    std::vector<int> peaks;
    for (const StageActions& actions : schedule.actions) {
        int inFlight = 0, peak = 0;
        for (const Action& action : actions) {
            if (action.kind == ActionKind::Forward)
                peak = std::max(peak, ++inFlight);
            else if (action.kind == ActionKind::Backward)
                --inFlight;
        }
        peaks.push_back(peak);
    }
    return peaks;
}

int peakInFlightMicroBatches(const std::string& name, int devices, int microBatches)
{
    const Schedule schedule = buildSchedule(name, scheduleTraits(name).stagesOn(devices), microBatches);
    const std::vector<int> peaks = peakInFlightMicroBatches(schedule);
    return *std::max_element(peaks.begin(), peaks.end());
}

const ActionKindLook& actionKindLook(ActionKind kind)
{
    // Indexed by ActionKind, in its order.
    static const ActionKindLook looks[] = {
        {"F", "forward", 0x4c78a8},
        {"B", "backward", 0x59a14f},
        {"U", "update", 0xf28e2b},
        {"send activation", "communication", 0x999999},
        {"receive activation", "communication", 0x999999},
        {"send gradient", "communication", 0x999999},
        {"receive gradient", "communication", 0x999999},
        {"flush", "communication", 0x999999},
        {"all-reduce", "communication", 0xb07aa1},
    };
    static_assert(sizeof(looks) / sizeof(looks[0]) == size_t(ActionKind::AllReduce) + 1);
    return looks[static_cast<size_t>(kind)];
}

std::string describeAction(const Action& action)
{
    std::string text = actionKindLook(action.kind).symbol;
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
