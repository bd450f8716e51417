#include "sim/simulator.h"

#include <algorithm>
#include <set>
#include <utility>

#include "tensor/error.h"

namespace lpm {

SimulationResult simulateSchedule(const Schedule& schedule, const std::vector<StageTimes>& times)
{
    const int stages = schedule.stages;
    const int workers = int(schedule.actions.size()); // each with its own clock; a stage's actions on its worker's
    // A split backward: B takes backward − weightGradient, W the rest.
    const bool split = splitsBackward(schedule);
    // Per stage: the (mini-batch, micro-batch) of each B whose W is still to come.
    std::vector<std::set<std::pair<int, int>>> awaitingWeights(static_cast<size_t>(stages));
    if (int(times.size()) != stages)
        throw InvalidArgument("simulator: " + std::to_string(times.size()) + " stage times for "
                              + std::to_string(stages) + " stages");
    for (const StageTimes& t : times) {
        if (t.forward < 0 || t.backward < 0 || t.update < 0 || t.allReduce < 0 || t.transferIn < 0 || t.prepareInput < 0
            || t.weightGradient < 0)
            throw InvalidArgument("simulator: stage times must not be negative");
        if (t.weightGradient > t.backward)
            throw InvalidArgument("simulator: a stage's weight-gradient time exceeds its backward time");
    }

    requireActionStages(schedule); // (first: what follows indexes by stage)
    SimulationResult result;
    result.timeline.stages = stages;
    result.busySeconds.assign(size_t(stages), 0.0);
    result.peakInFlightMicroBatches = peakInFlightMicroBatches(schedule);
    result.peakAwaitingWeightMicroBatches = peakAwaitingWeightMicroBatches(schedule);
    std::vector<double> clock(size_t(workers), 0.0);
    std::vector<size_t> next(size_t(workers), 0);
    std::vector<int> inputPrepared(size_t(stages), -1); // the last mini-batch whose input each stage prepared
    // Arrival times of messages into each stage, by mini-batch · m + micro-batch;
    // negative until sent.
    const size_t slots = size_t(schedule.miniBatches) * size_t(schedule.microBatches);
    std::vector<std::vector<double>> activationArrival(size_t(stages), std::vector<double>(slots, -1.0));
    std::vector<std::vector<double>> gradientArrival(size_t(stages), std::vector<double>(slots, -1.0));
    auto arrival = [&](int stage, Direction direction, const Action& a) -> double& {
        if (stage < 0 || stage >= stages || a.miniBatch < 0 || a.miniBatch >= schedule.miniBatches || a.microBatch < 0
            || a.microBatch >= schedule.microBatches)
            throw InvalidArgument("schedule " + schedule.name + ": " + describeAction(a) + " addresses stage "
                                  + std::to_string(stage) + ", outside the schedule");
        auto& table = direction == Direction::Gradient ? gradientArrival : activationArrival;
        return table[size_t(stage)][size_t(a.miniBatch) * size_t(schedule.microBatches) + size_t(a.microBatch)];
    };
    // When each link direction is next free: [s] forward into s, and gradient into s.
    std::vector<double> activationLinkFree(size_t(stages), 0.0), gradientLinkFree(size_t(stages), 0.0);

    auto at = [&](int w) -> const Action* {
        return next[size_t(w)] < schedule.actions[size_t(w)].size() ? &schedule.actions[size_t(w)][next[size_t(w)]]
                                                                    : nullptr;
    };
    // Worker w runs action a (of stage a.stage) for `duration` from its clock on.
    auto occupy = [&](int w, const Action& a, double duration) {
        const double start = clock[size_t(w)];
        clock[size_t(w)] = start + duration;
        result.busySeconds[size_t(a.stage)] += duration;
        result.timeline.events.push_back({a.stage, a.kind, a.microBatch, a.miniBatch, start, start + duration});
    };
    // Sweeps alternate direction: activations flow with a forward sweep and
    // gradients with a backward one, so each wave crosses the pipeline in one sweep.
    for (bool progress = true, upward = true; progress; upward = !upward) {
        progress = false;
        for (int i = 0, w = upward ? 0 : workers - 1; i < workers; ++i, w = upward ? i : workers - 1 - i)
            for (const Action* action = at(w); action != nullptr; action = at(w)) {
                const Action a = *action;
                const int s = a.stage;
                const StageTimes& t = times[size_t(s)];
                if (a.kind == ActionKind::Flush || a.kind == ActionKind::AllReduce) {
                    bool ready = true;
                    double start = 0.0;
                    for (int other = 0; other < workers; ++other) {
                        const Action* o = at(other);
                        ready = ready && o != nullptr && o->kind == a.kind && o->miniBatch == a.miniBatch;
                        start = std::max(start, clock[size_t(other)]);
                    }
                    if (!ready)
                        break;
                    for (int other = 0; other < workers; ++other) {
                        clock[size_t(other)] = start;
                        const Action& o = *at(other);
                        if (a.kind == ActionKind::AllReduce)
                            occupy(other, o, times[size_t(o.stage)].allReduce);
                        ++next[size_t(other)];
                    }
                    progress = true;
                    break;
                }
                const bool receive = a.kind == ActionKind::ReceiveActivation || a.kind == ActionKind::ReceiveGradient;
                if (receive && arrival(s, messageDirection(a.kind), a) < 0.0)
                    break; // wait for the sender
                switch (a.kind) {
                case ActionKind::Forward: {
                    const bool prepares = t.prepareInput > 0.0 && inputPrepared[size_t(s)] != a.miniBatch;
                    inputPrepared[size_t(s)] = a.miniBatch;
                    occupy(w, a, t.forward + (prepares ? t.prepareInput : 0.0));
                    break;
                }
                case ActionKind::Backward:
                    occupy(w, a, split ? t.backward - t.weightGradient : t.backward);
                    awaitingWeights[size_t(s)].insert({a.miniBatch, a.microBatch});
                    break;
                case ActionKind::WeightGradient:
                    if (awaitingWeights[size_t(s)].erase({a.miniBatch, a.microBatch}) == 0)
                        throw InvalidArgument("schedule " + schedule.name + ": stage " + std::to_string(s) + " runs "
                                              + describeAction(a) + " before its B");
                    occupy(w, a, t.weightGradient);
                    break;
                case ActionKind::Recompute: // the forward again, without the gather
                    occupy(w, a, t.forward);
                    break;
                case ActionKind::Update:
                    occupy(w, a, t.update);
                    break;
                case ActionKind::SendActivation: {
                    double& message = arrival(s + 1, Direction::Activation, a); // checks that stage s + 1 exists
                    double& free = activationLinkFree[size_t(s + 1)];
                    const double start = std::max(free, clock[size_t(w)]);
                    free = start + times[size_t(s + 1)].transferIn;
                    message = free;
                    result.timeline.transfers.push_back(
                        {s, s + 1, Direction::Activation, a.microBatch, a.miniBatch, start, free});
                    break;
                }
                case ActionKind::SendGradient: {
                    double& message = arrival(s - 1, Direction::Gradient, a); // checks that stage s − 1 exists
                    double& free = gradientLinkFree[size_t(s - 1)];
                    const double start = std::max(free, clock[size_t(w)]);
                    free = start + t.transferIn;
                    message = free;
                    result.timeline.transfers.push_back(
                        {s, s - 1, Direction::Gradient, a.microBatch, a.miniBatch, start, free});
                    break;
                }
                default: { // receives: the message was checked to be there above
                    double& message = arrival(s, messageDirection(a.kind), a);
                    clock[size_t(w)] = std::max(clock[size_t(w)], message);
                    message = -1.0; // consumed
                    break;
                }
                }
                ++next[size_t(w)];
                progress = true;
            }
    }
    std::string stuck;
    for (int w = 0; w < workers; ++w)
        if (const Action* action = at(w)) {
            if (!stuck.empty())
                stuck += "; ";
            stuck += "stage ";
            stuck += std::to_string(action->stage);
            stuck += " waits at ";
            stuck += describeAction(*action);
        }
    if (!stuck.empty())
        throw InvalidArgument("schedule " + schedule.name + " deadlocks: " + stuck);
    for (int s = 0; s < stages; ++s)
        for (size_t slot = 0; slot < slots; ++slot)
            for (Direction direction : {Direction::Activation, Direction::Gradient})
                if ((direction == Direction::Gradient ? gradientArrival : activationArrival)[size_t(s)][slot] >= 0.0)
                    throw InvalidArgument("schedule " + schedule.name + ": a " + std::string(directionName(direction))
                                          + " sent to stage " + std::to_string(s) + " for micro-batch "
                                          + std::to_string(slot % size_t(schedule.microBatches)) + " of mini-batch "
                                          + std::to_string(slot / size_t(schedule.microBatches))
                                          + " is never received");
    result.makespanSeconds = *std::max_element(clock.begin(), clock.end());
    double busy = 0.0;
    for (double b : result.busySeconds)
        busy += b;
    if (result.makespanSeconds > 0.0)
        result.bubbleFraction = 1.0 - busy / (double(workers) * result.makespanSeconds);
    return result;
}

void validateSchedule(const Schedule& schedule)
{
    simulateSchedule(schedule, std::vector<StageTimes>(size_t(schedule.stages)));
}

} // namespace lpm
