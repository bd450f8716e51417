#include "schedule/schedule.h"

#include <algorithm>
#include <functional>

#include "tensor/error.h"

namespace lpm {

namespace {

// Appends a worker's actions: for one forward or backward of a micro-batch
// on stage stage() with the transfers around it, and the rest. A worker
// holds one stage (stage() == worker()), or, interleaved, several: its
// builder then moves between them (setStage).
class StageBuilder {
public:
    StageBuilder(int worker, int stages, int chunks, StageActions& out)
        : worker_(worker), stage_(worker), stages_(stages), chunks_(chunks), out_(out)
    {
    }

    int stage() const { return stage_; }
    int stages() const { return stages_; }
    int worker() const { return worker_; }
    int workers() const { return stages_ / chunks_; }
    int chunks() const { return chunks_; }
    void setStage(int stage) { stage_ = stage; }

    void forward(int miniBatch, int microBatch)
    {
        if (stage_ > 0)
            push(ActionKind::ReceiveActivation, microBatch, miniBatch);
        push(ActionKind::Forward, microBatch, miniBatch);
        if (stage_ < stages_ - 1)
            push(ActionKind::SendActivation, microBatch, miniBatch);
    }
    void backward(int miniBatch, int microBatch)
    {
        if (stage_ < stages_ - 1)
            push(ActionKind::ReceiveGradient, microBatch, miniBatch);
        push(ActionKind::Backward, microBatch, miniBatch);
        if (stage_ > 0)
            push(ActionKind::SendGradient, microBatch, miniBatch);
    }
    // A forward and a backward without transfers (a replica holds the whole model).
    void computeWhole(int miniBatch, int microBatch)
    {
        push(ActionKind::Forward, microBatch, miniBatch);
        push(ActionKind::Backward, microBatch, miniBatch);
    }
    void add(ActionKind kind, int miniBatch) { push(kind, -1, miniBatch); }
    void weightGradient(int miniBatch, int microBatch) { push(ActionKind::WeightGradient, microBatch, miniBatch); }

private:
    void push(ActionKind kind, int microBatch, int miniBatch) { out_.push_back({kind, microBatch, miniBatch, stage_}); }

    int worker_, stage_, stages_, chunks_;
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

// Interleaved 1F1B (Narayanan et al., SC 2021), as Megatron-LM orders it:
// worker d of p holds chunks c = 0..v−1, stage c·p + d. Its m·v forwards run
// in groups of p micro-batches, chunk by chunk (forward k: chunk
// (k mod pv) / p, micro-batch (k / pv)·p + k mod p), its backwards the same
// with the chunks in reverse; (p − d − 1)·2 + (v − 1)·p warm-up forwards
// (all of them when m = p), then one forward, one backward, then the rest.
// Per stage, backwards still run in micro-batch order (exact).
void buildInterleaved(StageBuilder& build, int microBatches, int miniBatches)
{
    const int p = build.workers(), v = build.chunks(), d = build.worker();
    const int total = microBatches * v;
    const int warmUp = microBatches == p ? total : std::min((p - d - 1) * 2 + (v - 1) * p, total);
    auto microBatchOf = [&](int k) { return (k / (p * v)) * p + k % p; };
    auto chunkOf = [&](int k, bool backward) {
        const int chunk = (k % (p * v)) / p;
        return backward ? v - 1 - chunk : chunk;
    };
    for (int t = 0; t < miniBatches; ++t) {
        auto forward = [&](int k) {
            build.setStage(chunkOf(k, false) * p + d);
            build.forward(t, microBatchOf(k));
        };
        auto backward = [&](int k) {
            build.setStage(chunkOf(k, true) * p + d);
            build.backward(t, microBatchOf(k));
        };
        for (int k = 0; k < warmUp; ++k)
            forward(k);
        for (int k = 0; k < total - warmUp; ++k) {
            forward(warmUp + k);
            backward(k);
        }
        for (int k = total - warmUp; k < total; ++k)
            backward(k);
        for (int c = 0; c < v; ++c) {
            build.setStage(c * p + d);
            build.add(ActionKind::Update, t);
        }
        build.add(ActionKind::Flush, t);
    }
}

// Zero bubble (Qi et al., ICLR 2024): the backward split into B (input
// gradient, on the critical path) and W (weight gradient, movable). The order
// of each stage's F, B and W in one mini-batch comes from playing the
// pipeline with equal times (F = B = W = 1 step, free transfers): whenever a
// stage is free it runs, in this order of preference,
//   the next B, once its gradient has arrived (the critical path);
//   the next F, while fewer than `limits.beforeB` micro-batches wait for
//     their B on the stage, and fewer than `limits.beforeW` for their W;
//   the oldest pending W (filling what would be a bubble).
// B and W each run in micro-batch order, as the sequential reference
// accumulates, so the schedules stay exact. The lists hold for any times; the
// equal times only choose the order.
enum class Pass { Forward, InputGradient, WeightGradient };
struct PassStep {
    Pass pass;
    int microBatch;
};

// The micro-batches a stage may hold at once: forwarded and waiting for their
// B (all their activations), and forwarded and waiting for their W (B's
// included; after B, only what W reads).
struct InFlightLimits {
    int beforeB;
    int beforeW;
};

std::vector<std::vector<PassStep>> zeroBubbleOrder(int stages, int microBatches,
                                                   const std::function<InFlightLimits(int)>& limits)
{
    std::vector<std::vector<PassStep>> order(static_cast<size_t>(stages));
    std::vector<int> forwarded(size_t(stages), 0), backwarded(size_t(stages), 0), weighted(size_t(stages), 0);
    // When micro-batch i's activation, and its gradient, can be used on stage s (−1: not yet).
    std::vector<std::vector<int>> activationAt(size_t(stages), std::vector<int>(size_t(microBatches), -1));
    std::vector<std::vector<int>> gradientAt(size_t(stages), std::vector<int>(size_t(microBatches), -1));
    std::fill(activationAt[0].begin(), activationAt[0].end(), 0); // the input is there from the start
    auto arrived = [](int at, int now) { return at >= 0 && at <= now; };
    int finished = 0;
    for (int now = 0; finished < stages; ++now) {
        if (now > 3 * (microBatches + stages) * 4)
            throw Error("zero-bubble order: the play did not finish (a bug)");
        for (int s = 0; s < stages; ++s) {
            const size_t k = size_t(s);
            std::vector<PassStep>& steps = order[k];
            if (backwarded[k] < forwarded[k] && arrived(gradientAt[k][size_t(backwarded[k])], now)) {
                const int i = backwarded[k]++;
                steps.push_back({Pass::InputGradient, i});
                if (s > 0)
                    gradientAt[k - 1][size_t(i)] = now + 1;
            } else if (forwarded[k] < microBatches && forwarded[k] - backwarded[k] < limits(s).beforeB
                       && forwarded[k] - weighted[k] < limits(s).beforeW
                       && arrived(activationAt[k][size_t(forwarded[k])], now)) {
                const int i = forwarded[k]++;
                steps.push_back({Pass::Forward, i});
                if (s + 1 < stages)
                    activationAt[k + 1][size_t(i)] = now + 1;
                else
                    gradientAt[k][size_t(i)] = now + 1; // the loss's gradient, on the last stage
            } else if (weighted[k] < backwarded[k]) {
                steps.push_back({Pass::WeightGradient, weighted[k]++});
                finished += weighted[k] == microBatches;
            }
        }
    }
    return order;
}

// One stage's F, B and W of mini-batch t in the zero-bubble order, then its
// update and, when asked, a flush. (Each stage's list plays the whole
// pipeline again: O(p · m) steps per stage, cheap beside a simulation.)
void buildZeroBubble(StageBuilder& build, int microBatches, int miniBatches,
                     const std::function<InFlightLimits(int)>& limits, bool flush)
{
    const std::vector<PassStep> steps = zeroBubbleOrder(build.stages(), microBatches, limits)[size_t(build.stage())];
    for (int t = 0; t < miniBatches; ++t) {
        for (const PassStep& step : steps) {
            if (step.pass == Pass::Forward)
                build.forward(t, step.microBatch);
            else if (step.pass == Pass::InputGradient)
                build.backward(t, step.microBatch);
            else
                build.weightGradient(t, step.microBatch);
        }
        build.add(ActionKind::Update, t);
        if (flush)
            build.add(ActionKind::Flush, t);
    }
}

// ZB-H1 keeps 1F1B's activations (p − s micro-batches before their B on
// stage s) and lets a stage hold p + 1 before their W (after its B, a
// micro-batch keeps only what W reads): later stages delay their Ws, which
// fill the bubbles at the end. With equal F, B and W its bubble is a third of
// 1F1B's up to p = 4 and at most 2 steps more up to p = 8 (tests). ZB-H2 takes
// 2(p − s) − 1 warm-up forwards and up to 2p micro-batches before their W:
// no bubble inside the pipeline, only its ramp of p − 1 steps.
// (The bounds were chosen by playing p = 2..12 against those closed forms.)
InFlightLimits zeroBubbleH1Limits(int stage, int stages)
{
    return {stages - stage, stages + 1};
}
InFlightLimits zeroBubbleH2Limits(int stage, int stages)
{
    return {2 * (stages - stage) - 1, 2 * stages};
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
        {"zb-h1",
         {.flushes = true, .splitsBackward = true},
         [](StageBuilder& b, int m, int t) {
             buildZeroBubble(
                 b, m, t, [&](int s) { return zeroBubbleH1Limits(s, b.stages()); }, true);
         }},
        {"zb-h2",
         {.flushes = true, .splitsBackward = true},
         [](StageBuilder& b, int m, int t) {
             buildZeroBubble(
                 b, m, t, [&](int s) { return zeroBubbleH2Limits(s, b.stages()); }, true);
         }},
        {"lpm-zb",
         {.splitsBackward = true},
         [](StageBuilder& b, int m, int t) {
             buildZeroBubble(
                 b, m, t, [&](int s) { return zeroBubbleH1Limits(s, b.stages()); }, false);
         }},
        {"interleaved", {.flushes = true, .interleaved = true}, buildInterleaved},
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

void requireActionStages(const Schedule& schedule)
{
    for (const StageActions& actions : schedule.actions)
        for (const Action& action : actions)
            if (action.stage < 0 || action.stage >= schedule.stages)
                throw InvalidArgument("schedule " + schedule.name + ": " + describeAction(action) + " names stage "
                                      + std::to_string(action.stage) + ", outside the schedule");
}

Schedule buildSchedule(const std::string& name, int stages, int microBatches, int miniBatches, int chunks)
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
    if (!definition.traits.interleaved && chunks != 1)
        throw InvalidArgument("schedule " + name + " runs one model chunk per device, not " + std::to_string(chunks)
                              + " (--chunks is for interleaved)");
    if (definition.traits.interleaved) {
        if (chunks < 2 || stages % chunks != 0)
            throw InvalidArgument("schedule " + name + " needs at least 2 model chunks per device and a stage count "
                                  + "that is a multiple of them, got " + std::to_string(chunks) + " chunks for "
                                  + std::to_string(stages) + " stages");
        const int workers = stages / chunks;
        if (microBatches % workers != 0)
            throw InvalidArgument("schedule " + name
                                  + " runs micro-batches in groups of one per device: " + std::to_string(microBatches)
                                  + " micro-batches are not a multiple of the " + std::to_string(workers) + " devices");
    }
    const int workers = stages / chunks;
    Schedule schedule{name, stages, microBatches, miniBatches, workers, std::vector<StageActions>(size_t(workers))};
    for (int w = 0; w < workers; ++w) {
        StageBuilder build(w, stages, chunks, schedule.actions[size_t(w)]);
        definition.build(build, microBatches, miniBatches);
    }
    return schedule;
}

StageActions actionsOfStage(const Schedule& schedule, int stage)
{
    StageActions actions;
    for (const StageActions& list : schedule.actions)
        for (const Action& action : list)
            if (action.stage == stage)
                actions.push_back(action);
    return actions;
}

void insertRecomputation(Schedule& schedule, const std::vector<bool>& recomputing)
{
    requireActionStages(schedule);
    if (recomputing.size() != size_t(schedule.stages))
        throw InvalidArgument("schedule " + schedule.name + ": recomputation named for "
                              + std::to_string(recomputing.size()) + " stages, the schedule has "
                              + std::to_string(schedule.stages));
    for (StageActions& actions : schedule.actions) {
        StageActions with;
        for (const Action& action : actions) {
            if (action.kind == ActionKind::Backward && recomputing[size_t(action.stage)]) {
                const Action recompute{ActionKind::Recompute, action.microBatch, action.miniBatch, action.stage};
                // Ahead of B's own gradient receive, where it comes right before B.
                const bool receivedFirst = !with.empty() && with.back().kind == ActionKind::ReceiveGradient
                                           && with.back().microBatch == action.microBatch
                                           && with.back().miniBatch == action.miniBatch
                                           && with.back().stage == action.stage;
                with.insert(receivedFirst ? with.end() - 1 : with.end(), recompute);
            }
            with.push_back(action);
        }
        actions = std::move(with);
    }
}

namespace {
// Per stage, the most micro-batches counted at once: +1 at an action of kind
// `enters`, −1 at one of kind `leaves`.
std::vector<int> peakCounts(const Schedule& schedule, ActionKind enters, ActionKind leaves)
{
    requireActionStages(schedule);
    std::vector<int> counts(size_t(schedule.stages), 0), peaks(size_t(schedule.stages), 0);
    for (const StageActions& actions : schedule.actions)
        for (const Action& action : actions) {
            int& count = counts[size_t(action.stage)];
            if (action.kind == enters)
                peaks[size_t(action.stage)] = std::max(peaks[size_t(action.stage)], ++count);
            else if (action.kind == leaves)
                --count;
        }
    return peaks;
}

int largest(const std::vector<int>& values)
{
    return *std::max_element(values.begin(), values.end());
}
} // namespace

std::vector<int> peakInFlightMicroBatches(const Schedule& schedule)
{
    return peakCounts(schedule, ActionKind::Forward, ActionKind::Backward);
}

int peakInFlightMicroBatches(const std::string& name, int devices, int microBatches, int chunks)
{
    return largest(peakInFlightMicroBatches(
        buildSchedule(name, scheduleTraits(name).stagesOn(devices, chunks), microBatches, 1, chunks)));
}

bool splitsBackward(const Schedule& schedule)
{
    for (const StageActions& actions : schedule.actions)
        for (const Action& action : actions)
            if (action.kind == ActionKind::WeightGradient)
                return true;
    return false;
}

std::vector<int> peakAwaitingWeightMicroBatches(const Schedule& schedule)
{
    if (!splitsBackward(schedule))
        return std::vector<int>(size_t(schedule.stages), 0);
    return peakCounts(schedule, ActionKind::Backward, ActionKind::WeightGradient);
}

int peakAwaitingWeightMicroBatches(const std::string& name, int devices, int microBatches, int chunks)
{
    return largest(peakAwaitingWeightMicroBatches(
        buildSchedule(name, scheduleTraits(name).stagesOn(devices, chunks), microBatches, 1, chunks)));
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
        {"W", "weight gradient", 0x76b7b2},
        {"R", "recomputation", 0x9c755f},
    };
    static_assert(sizeof(looks) / sizeof(looks[0]) == size_t(ActionKind::Recompute) + 1);
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
