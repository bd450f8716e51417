#include "sim/prediction.h"

#include <algorithm>

#include "schedule/schedule.h"
#include "tensor/error.h"

namespace lpm {

namespace {

struct StageSums {
    double forward = 0.0; // seconds per micro-batch on the stage's device
    double backward = 0.0;
    double weightGradient = 0.0; // the part of backward W takes, by the units' FLOPs
    int64_t parameterBytes = 0;
    int64_t savedBytes = 0;          // per micro-batch
    int64_t weightGradientBytes = 0; // per micro-batch, kept from B to W where the backward is split
};

// Units [first, last] on `device`, whose rate `sharedBy` stages divide.
StageSums sumUnits(const Plan& plan, const std::string& device, int sharedBy, int first, int last)
{
    const std::vector<UnitTimes> times = timesFor(plan.costs, device, plan.microBatchSize());
    StageSums sums;
    for (int u = first; u <= last; ++u) {
        sums.forward += times[size_t(u)].forwardSeconds * sharedBy;
        sums.backward += times[size_t(u)].backwardSeconds * sharedBy;
        const UnitCost& cost = plan.costs.units[size_t(u)];
        if (cost.backwardFlops > 0.0)
            sums.weightGradient +=
                times[size_t(u)].backwardSeconds * sharedBy * cost.weightGradientFlops / cost.backwardFlops;
        sums.parameterBytes += plan.costs.units[size_t(u)].parameterBytes;
        sums.savedBytes += plan.costs.units[size_t(u)].savedBytes * plan.microBatchSize();
        sums.weightGradientBytes += plan.costs.units[size_t(u)].weightGradientBytes * plan.microBatchSize();
    }
    return sums;
}

// What a stage starting at unit `first` receives per micro-batch.
int64_t planStageInputBytes(const Plan& plan, int first)
{
    const int64_t perSample =
        first == 0 ? plan.costs.inputBytesPerSample : plan.costs.units[size_t(first - 1)].outputBytes;
    return perSample * plan.microBatchSize();
}

StageSums sumStage(const Plan& plan, const PlannedStage& stage)
{
    const PlanDeviceEntry& device = plan.devices[size_t(stage.device)];
    return sumUnits(plan, device.costsDevice, device.sharedBy, stage.first, stage.last);
}

// Gathering a mini-batch's input on the host (host work: not divided by sharing).
double inputSeconds(const Plan& plan, const std::string& device)
{
    return double(plan.batch) * plan.costs.at(device).inputSecondsPerSample;
}

double updateSeconds(const Plan& plan, const std::string& device, int sharedBy, int64_t parameterBytes)
{
    return double(parameterBytes) / sizeof(float) * plan.costs.at(device).updateSecondsPerParameter * sharedBy;
}

// dp's gradient exchange (DESIGN §2), as the executor does it, for gradients
// and weights of `bytes` each.
//
// In shared host memory, each replica adds the other p − 1 replicas'
// gradients into the sum for its 1/p share (each add reads two floats and
// writes one), and after the update every replica but the first copies all
// the weights (one read and one write per float; the first zeroes its
// gradients meanwhile, which is less): elementwise passes at the rate the
// profile's update achieved.
//
// Across links: a ring all-reduce over the used devices' chain (each device
// sends and receives 2·(p − 1)/p of the bytes, in 2·(p − 1) steps, paced by
// the slowest link), then the copy of the weights to every other replica.
double dataParallelExchangeSeconds(const Plan& plan, int64_t bytes)
{
    const size_t p = plan.stages.size();
    if (p < 2)
        return 0.0;
    if (replicasShareHostMemory(plan)) {
        const double perByte = memorySecondsPerByte(plan.costs.at(plan.devices[0].costsDevice));
        const double sum = 3.0 * double(p - 1) / double(p) * double(bytes);
        const double copy = 2.0 * double(bytes);
        // Four barriers per mini-batch, each a hand-over between threads.
        return (sum + copy) * perByte + 4.0 * plan.devices[0].linkToNext.latencySeconds;
    }
    double slowest = plan.devices[0].linkToNext.bytesPerSecond;
    double latency = 0.0;
    for (size_t k = 0; k + 1 < p; ++k) {
        slowest = std::min(slowest, plan.devices[k].linkToNext.bytesPerSecond);
        latency = std::max(latency, plan.devices[k].linkToNext.latencySeconds);
    }
    const double steps = 2.0 * double(p - 1);
    const double allReduce = steps * latency + steps / double(p) * double(bytes) / slowest;
    const double weightsCopy = latency + double(bytes) / slowest;
    return allReduce + weightsCopy;
}

// The plan's schedule simulated over 1 and over 1 + kSteadyMiniBatches
// mini-batches: the steady-state period is the difference per mini-batch.
struct SteadyState {
    SimulationResult one;
    SimulationResult steady;

    double iterationSeconds() const { return (steady.makespanSeconds - one.makespanSeconds) / kSteadyMiniBatches; }
};

SteadyState simulateSteadyState(const Plan& plan, const std::vector<StageTimes>& times)
{
    return {simulateSchedule(planSchedule(plan, 1), times),
            simulateSchedule(planSchedule(plan, 1 + kSteadyMiniBatches), times)};
}

} // namespace

bool replicasShareHostMemory(const Plan& plan)
{
    return std::all_of(plan.devices.begin(), plan.devices.end(),
                       [](const PlanDeviceEntry& device) { return device.costsDevice == "cpu"; });
}

std::vector<StageTimes> stageTimesFor(const Plan& plan)
{
    validatePlan(plan);
    std::vector<StageTimes> times;
    for (const PlannedStage& stage : plan.stages) {
        const StageSums sums = sumStage(plan, stage);
        StageTimes t;
        t.forward = sums.forward;
        t.backward = sums.backward;
        t.weightGradient = sums.weightGradient;
        const PlanDeviceEntry& device = plan.devices[size_t(stage.device)];
        t.update = updateSeconds(plan, device.costsDevice, device.sharedBy, sums.parameterBytes);
        if (stage.first == 0)
            t.prepareInput = inputSeconds(plan, device.costsDevice);
        if (scheduleTraits(plan.schedule).replicated) {
            // Each replica steps its 1/p share; all but the first zero all
            // their own gradients in the same action (1 of the update's 6
            // passes), the first after it.
            const double p = double(plan.stages.size());
            t.update *= (5.0 / 6.0) / p + (1.0 / 6.0);
            t.allReduce = dataParallelExchangeSeconds(plan, sums.parameterBytes);
        } else if (stage.first > 0) {
            const LinkSpec& link = plan.devices[size_t(stage.device - 1)].linkToNext;
            const double bytes = double(plan.costs.units[size_t(stage.first - 1)].outputBytes * plan.microBatchSize());
            t.transferIn = link.latencySeconds + bytes / link.bytesPerSecond;
        }
        times.push_back(t);
    }
    return times;
}

double predictIterationSeconds(const Plan& plan)
{
    return simulateSteadyState(plan, stageTimesFor(plan)).iterationSeconds();
}

double predictRunSeconds(const Plan& plan, int miniBatches)
{
    if (miniBatches < 1)
        throw InvalidArgument("prediction: a run needs at least 1 mini-batch, got " + std::to_string(miniBatches));
    return simulateSchedule(planSchedule(plan, miniBatches), stageTimesFor(plan)).makespanSeconds;
}

void partitionPlanPredicted(Plan& plan)
{
    Plan candidate = plan; // one copy, its stages replaced for each evaluation
    partitionPlan(plan, [&](const Partition& stages) {
        candidate.stages = stages;
        return predictIterationSeconds(candidate);
    });
}

Prediction predictPlan(const Plan& plan, int timelineMiniBatches)
{
    if (timelineMiniBatches < 1)
        throw InvalidArgument("prediction: the timeline needs at least 1 mini-batch, got "
                              + std::to_string(timelineMiniBatches));
    const std::vector<StageTimes> times = stageTimesFor(plan);
    const int stages = int(plan.stages.size());
    const int m = int(plan.microBatches);
    const SteadyState runs = simulateSteadyState(plan, times);
    const SimulationResult& one = runs.one;
    const SimulationResult& steady = runs.steady;

    Prediction prediction;
    prediction.iterationSeconds = runs.iterationSeconds();
    if (prediction.iterationSeconds > 0.0)
        prediction.samplesPerSecond = double(plan.batch) / prediction.iterationSeconds;
    double busy = 0.0;
    for (int s = 0; s < stages; ++s) {
        const PlannedStage& stage = plan.stages[size_t(s)];
        const PlanDeviceEntry& device = plan.devices[size_t(stage.device)];
        const StageSums sums = sumStage(plan, stage);
        const StageTimes& t = times[size_t(s)];
        StagePrediction out;
        out.first = stage.first;
        out.last = stage.last;
        out.device = device.label;
        out.forwardSeconds = t.forward;
        out.backwardSeconds = t.backward;
        out.communicationSeconds = 2.0 * t.transferIn;
        out.updateSeconds = t.update;
        out.allReduceSeconds = t.allReduce;
        out.peakInFlight = steady.peakInFlightMicroBatches[size_t(s)];
        out.recompute = stage.recompute;
        const StageMemory memory{(2 + optimizerStateVectors(plan.optimizer)) * sums.parameterBytes, sums.savedBytes,
                                 sums.weightGradientBytes, planStageInputBytes(plan, stage.first)};
        out.memoryBytes =
            peakStageBytes(memory, out.peakInFlight, steady.peakAwaitingWeightMicroBatches[size_t(s)], stage.recompute);
        out.capacityBytes = device.memoryBytes;
        if (prediction.iterationSeconds > 0.0)
            out.busyFraction = one.busySeconds[size_t(s)] / prediction.iterationSeconds;
        busy += one.busySeconds[size_t(s)];
        prediction.stages.push_back(std::move(out));
    }
    if (prediction.iterationSeconds > 0.0)
        // (Clamped: rounding must not print a negative bubble.)
        prediction.bubbleFraction =
            std::max(0.0, 1.0 - busy / (double(stages / std::max(plan.chunks, 1)) * prediction.iterationSeconds));

    // The reference: the whole mini-batch, one micro-batch after another, on
    // the device that runs the whole model fastest. (Its data loading is not
    // counted: the sequential trainer gathers each batch outside its timing.)
    // (Stages sharing a device do not slow the reference: it has it alone.)
    prediction.sequentialSeconds = -1.0;
    for (const PlanDeviceEntry& device : physicalDevices(plan)) {
        const StageSums sums = sumUnits(plan, device.costsDevice, 1, 0, plan.costs.unitCount() - 1);
        const double seconds = double(m) * (sums.forward + sums.backward)
                               + updateSeconds(plan, device.costsDevice, 1, sums.parameterBytes);
        if (prediction.sequentialSeconds < 0.0 || seconds < prediction.sequentialSeconds) {
            prediction.sequentialSeconds = seconds;
            prediction.sequentialDevice = device.label;
        }
    }
    if (prediction.iterationSeconds > 0.0)
        prediction.speedup = prediction.sequentialSeconds / prediction.iterationSeconds;
    prediction.timeline = timelineMiniBatches == 1 + kSteadyMiniBatches ? steady.timeline
                          : timelineMiniBatches == 1
                              ? one.timeline
                              : simulateSchedule(planSchedule(plan, timelineMiniBatches), times).timeline;
    return prediction;
}

const StagePrediction& largestStage(const Prediction& prediction)
{
    if (prediction.stages.empty())
        throw InvalidArgument("prediction: no stages");
    return *std::max_element(
        prediction.stages.begin(), prediction.stages.end(),
        [](const StagePrediction& a, const StagePrediction& b) { return a.memoryBytes < b.memoryBytes; });
}

int firstStageOverMemory(const Prediction& prediction)
{
    for (size_t s = 0; s < prediction.stages.size(); ++s)
        if (prediction.stages[s].memoryBytes > prediction.stages[s].capacityBytes)
            return int(s);
    return -1;
}

void requirePlanFits(const Plan& plan, const Prediction& prediction)
{
    const int s = firstStageOverMemory(prediction);
    if (s >= 0) {
        const StagePrediction& stage = prediction.stages[size_t(s)];
        throw InvalidArgument("plan: stage " + std::to_string(s) + " (units " + std::to_string(stage.first) + "-"
                              + std::to_string(stage.last) + " on " + stage.device + ") needs "
                              + std::to_string(stage.memoryBytes) + " bytes under " + plan.schedule + ", "
                              + std::to_string(stage.memoryBytes - stage.capacityBytes) + " more than its "
                              + std::to_string(stage.capacityBytes)
                              + " (fewer micro-batches in flight, more stages, or `lpm plan --schedule auto` "
                                "may fit)");
    }
}

} // namespace lpm
