#include "plan/plan.h"

#include <algorithm>
#include <limits>
#include <map>

#include "plan/partitioners.h"
#include "schedule/schedule.h"
#include "tensor/error.h"

namespace lpm {

std::vector<PlanDeviceEntry> planDevices(const DeviceSet& set, const HostDevices& host)
{
    const int64_t cpuStages = std::count_if(set.stageSlots.begin(), set.stageSlots.end(),
                                            [](const DeviceSlot& slot) { return slot.kind == DeviceKind::Cpu; });
    std::vector<PlanDeviceEntry> devices;
    for (size_t k = 0; k < set.stageSlots.size(); ++k) {
        const DeviceSlot& slot = set.stageSlots[k];
        PlanDeviceEntry entry;
        entry.label = slot.label;
        entry.sharedBy = slot.sharedBy;
        if (slot.kind == DeviceKind::Cpu) {
            entry.costsDevice = "cpu";
            entry.memoryBytes = host.memoryBytes / std::max<int64_t>(cpuStages, 1);
        } else if (slot.kind == DeviceKind::Catalog) {
            const DeviceModel& model = catalogDevice(slot.catalogId);
            entry.costsDevice = model.id;
            entry.memoryBytes = model.memoryBytes / slot.sharedBy;
        } else { // a local GPU (resolveLocalGpus): its catalogue entry's estimates, its own memory
            if (slot.catalogId.empty() || slot.ordinal >= int(host.gpu.gpus.size()))
                throw InvalidArgument(slot.label + ": local GPUs are planned after resolveLocalGpus");
            entry.costsDevice = catalogDevice(slot.catalogId).id;
            entry.memoryBytes = host.gpu.gpus[size_t(slot.ordinal)].memoryBytes / slot.sharedBy;
        }
        if (k + 1 < set.stageSlots.size())
            entry.linkToNext = linkBetween(slot, set.stageSlots[k + 1]);
        devices.push_back(std::move(entry));
    }
    return devices;
}

std::vector<PlanDeviceEntry> interleavedDevices(const std::vector<PlanDeviceEntry>& devices, int chunks)
{
    const size_t p = devices.size();
    if (p < 2 || chunks < 2)
        throw InvalidArgument("interleaved needs at least 2 devices and 2 model chunks on each, got "
                              + std::to_string(p) + " devices and " + std::to_string(chunks) + " chunks");
    std::vector<PlanDeviceEntry> entries;
    for (int c = 0; c < chunks; ++c)
        for (size_t d = 0; d < p; ++d) {
            PlanDeviceEntry entry = devices[d];
            entry.label += "/" + std::to_string(c);
            entry.memoryBytes /= chunks;
            if (d + 1 == p)
                entry.linkToNext = devices[0].linkToNext;
            entries.push_back(std::move(entry));
        }
    return entries;
}

std::string replicatedCostsDevice(int replicas)
{
    return replicas == 1 ? "cpu" : "cpu*" + std::to_string(replicas);
}

namespace {

// "cpu:3" → "3"; any other label as it is.
std::string coreIndexOf(const std::string& label)
{
    return label.starts_with("cpu:") ? label.substr(4) : label;
}

} // namespace

std::vector<PlanDeviceEntry> replicatedDevices(const std::vector<PlanDeviceEntry>& devices,
                                               const std::vector<int>& replicas)
{
    int total = 0;
    for (int count : replicas) {
        if (count < 1)
            throw InvalidArgument("replicas must be at least 1 per stage, got " + std::to_string(count));
        total += count;
    }
    if (total != int(devices.size()))
        throw InvalidArgument("replicas: " + std::to_string(total) + " devices asked for, the set has "
                              + std::to_string(devices.size()));
    std::vector<PlanDeviceEntry> groups;
    size_t next = 0;
    for (int count : replicas) {
        const PlanDeviceEntry& first = devices[next];
        const PlanDeviceEntry& last = devices[next + size_t(count) - 1];
        PlanDeviceEntry group = first;
        if (count > 1) {
            for (size_t d = next; d < next + size_t(count); ++d)
                if (devices[d].costsDevice != "cpu" || devices[d].sharedBy != 1 || devices[d].replicas != 1)
                    throw InvalidArgument("replicas: " + devices[d].label
                                          + " is not a CPU core of its own; stages are replicated on CPU cores only "
                                            "(replicating a stage over GPUs is not available yet)");
            group.label = first.label + "-" + coreIndexOf(last.label);
            group.costsDevice = replicatedCostsDevice(count);
            group.replicas = count;
            group.memoryBytes = 0;
            for (size_t d = next; d < next + size_t(count); ++d)
                group.memoryBytes += devices[d].memoryBytes;
            group.linkToNext = last.linkToNext;
        }
        groups.push_back(std::move(group));
        next += size_t(count);
    }
    return groups;
}

std::vector<int> equalReplicas(int devices, int replicas)
{
    if (replicas < 1 || devices % replicas != 0)
        throw InvalidArgument("--replicas " + std::to_string(replicas) + " does not divide the "
                              + std::to_string(devices)
                              + " devices into equal groups (choose a divisor, or --replicas auto)");
    return std::vector<int>(size_t(devices / replicas), replicas);
}

std::vector<int> stageReplicas(const Plan& plan)
{
    std::vector<int> replicas;
    for (const PlannedStage& stage : plan.stages)
        replicas.push_back(stage.replicas);
    return replicas;
}

bool replicatesStages(const Plan& plan)
{
    return std::any_of(plan.devices.begin(), plan.devices.end(),
                       [](const PlanDeviceEntry& device) { return device.replicas > 1; });
}

std::vector<PlanDeviceEntry> physicalDevices(const Plan& plan)
{
    if (replicatesStages(plan)) {
        std::vector<PlanDeviceEntry> cores;
        for (const PlanDeviceEntry& device : plan.devices) {
            // "cpu:2-3" → "cpu:2", "cpu:3"; a label of another form gets "/r" appended.
            const std::string label = device.label.substr(0, device.label.rfind('-'));
            const std::string index = coreIndexOf(label);
            const bool numbered =
                label != index && !index.empty() && index.size() <= 9
                && std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; });
            for (int r = 0; r < device.replicas; ++r) {
                PlanDeviceEntry core = device;
                if (device.replicas > 1) {
                    core.label = numbered ? "cpu:" + std::to_string(std::stoll(index) + r)
                                          : device.label + "/" + std::to_string(r);
                    core.costsDevice = replicatedCostsDevice(1);
                    core.memoryBytes = device.memoryBytes / device.replicas;
                    core.replicas = 1;
                    if (r + 1 < device.replicas)
                        core.linkToNext = hostMemoryLink(); // to the group's next core
                }
                cores.push_back(std::move(core));
            }
        }
        return cores;
    }
    if (plan.chunks <= 1)
        return plan.devices;
    const size_t p = plan.devices.size() / size_t(plan.chunks);
    std::vector<PlanDeviceEntry> devices(plan.devices.begin(), plan.devices.begin() + std::ptrdiff_t(p));
    for (PlanDeviceEntry& device : devices) {
        device.label.erase(device.label.rfind('/'));
        device.memoryBytes *= plan.chunks;
    }
    return devices;
}

Plan withSchedule(const Plan& plan, const std::string& schedule)
{
    Plan changed = plan;
    changed.schedule = schedule;
    changed.devices = physicalDevices(plan);
    changed.chunks = 1;
    if (scheduleTraits(schedule).interleaved) {
        changed.chunks = plan.chunks > 1 ? plan.chunks : kDefaultInterleavedChunks;
        changed.devices = interleavedDevices(changed.devices, changed.chunks);
    }
    return changed;
}

void requireEqualMicroBatches(int64_t batch, int64_t microBatches)
{
    if (batch < 1)
        throw InvalidArgument("batch must be at least 1, got " + std::to_string(batch));
    if (microBatches < 1 || microBatches > batch)
        throw InvalidArgument("micro-batches must be between 1 and the batch " + std::to_string(batch) + ", got "
                              + std::to_string(microBatches));
    if (batch % microBatches != 0)
        throw InvalidArgument(std::to_string(microBatches) + " micro-batches do not divide the batch "
                              + std::to_string(batch) + " (plans need micro-batches of one size; choose a divisor)");
}

int optimizerStateVectors(const std::string& optimizer)
{
    if (optimizer == "sgd")
        return 1;
    if (optimizer == "adam" || optimizer == "adamw")
        return 2;
    throw InvalidArgument("unknown optimizer '" + optimizer + "' (known: sgd, adam, adamw)");
}

PartitionProblem partitionProblemFor(const Plan& plan)
{
    const ModelCosts& costs = plan.costs;
    const int64_t size = plan.microBatchSize();
    const int stateVectors = optimizerStateVectors(plan.optimizer);
    // The whole model's seconds per micro-batch on each kind of device, once per kind.
    std::map<std::string, double> totals;
    auto totalSeconds = [&](const std::string& device) {
        const auto [entry, added] = totals.try_emplace(device, 0.0);
        if (added)
            for (const UnitTimes& unit : timesFor(costs, device, size))
                entry->second += unit.forwardSeconds + unit.backwardSeconds;
        return entry->second;
    };
    // The reference: the fastest kind of device among the plan's.
    std::string reference = plan.devices.front().costsDevice;
    for (const PlanDeviceEntry& device : plan.devices)
        if (totalSeconds(device.costsDevice) < totalSeconds(reference))
            reference = device.costsDevice;
    const double referenceTotal = totalSeconds(reference);

    const std::vector<UnitTimes> referenceTimes = timesFor(costs, reference, size);
    PartitionProblem problem;
    for (size_t u = 0; u < costs.units.size(); ++u) {
        const UnitCost& unit = costs.units[u];
        const UnitTimes& times = referenceTimes[u];
        problem.unitSeconds.push_back(times.forwardSeconds + times.backwardSeconds);
        problem.outputBytes.push_back(unit.outputBytes * size);
        problem.staticBytes.push_back((2 + stateVectors) * unit.parameterBytes);
        problem.savedBytes.push_back(unit.savedBytes * size);
        problem.weightGradientBytes.push_back(unit.weightGradientBytes * size);
    }
    for (size_t k = 0; k < plan.devices.size(); ++k) {
        const PlanDeviceEntry& device = plan.devices[k];
        const double total = totalSeconds(device.costsDevice);
        // Zero-cost models run equally fast anywhere.
        const double speed = total > 0.0 ? referenceTotal / total : 1.0;
        problem.devices.push_back({device.label, speed / device.sharedBy, device.memoryBytes});
        if (k + 1 < plan.devices.size())
            problem.links.push_back({device.linkToNext.bytesPerSecond, device.linkToNext.latencySeconds});
    }
    const int physicalDevices = int(plan.devices.size()) / std::max(plan.chunks, 1);
    problem.inflightMicroBatches =
        peakInFlightMicroBatches(plan.schedule, physicalDevices, int(plan.microBatches), plan.chunks);
    problem.awaitingWeightMicroBatches =
        peakAwaitingWeightMicroBatches(plan.schedule, physicalDevices, int(plan.microBatches), plan.chunks);
    problem.recompute = plan.recompute;
    problem.inputBytes = costs.inputBytesPerSample * size;
    return problem;
}

void partitionPlan(Plan& plan, const std::function<double(const Partition&)>& iterationSeconds)
{
    const int units = plan.costs.unitCount();
    plan.stages.clear();
    const ScheduleTraits traits = scheduleTraits(plan.schedule);
    const auto markRecomputation = [&](Partition& stages) {
        for (PlannedStage& stage : stages) {
            stage.recompute = plan.recompute;
            stage.replicas = plan.devices[size_t(stage.device)].replicas;
        }
    };
    if (traits.singleStage) {
        plan.stages.push_back({0, units - 1, 0});
    } else if (traits.replicated) {
        for (int k = 0; k < int(plan.devices.size()); ++k)
            plan.stages.push_back({0, units - 1, k});
    } else {
        PartitionProblem problem = partitionProblemFor(plan);
        if (iterationSeconds)
            // Candidates are timed as the plan will run them: recomputing
            // where it asks, and interleaved only with a stage on every chunk.
            problem.iterationSeconds = [&](const Partition& candidate) {
                if (traits.interleaved && candidate.size() != plan.devices.size())
                    return std::numeric_limits<double>::infinity();
                Partition marked = candidate;
                markRecomputation(marked);
                return iterationSeconds(marked);
            };
        plan.stages = planPartition(plan.partitioner, problem);
        if (traits.interleaved && plan.stages.size() != plan.devices.size()) {
            // Every chunk of every device holds a stage: cut into all of them.
            if (units < int(plan.devices.size()))
                throw InvalidArgument("plan: interleaved with " + std::to_string(plan.chunks)
                                      + " chunks on each device needs a stage on each of its "
                                      + std::to_string(plan.devices.size()) + " chunks, and the model has "
                                      + std::to_string(units) + " units");
            plan.stages = partitionBalanced(problem);
        }
    }
    markRecomputation(plan.stages);
    if (!traits.fixedCuts())
        return;
    // One stage holds the whole model: it must fit each device it runs on.
    const PartitionProblem problem = partitionProblemFor(plan);
    for (const PlannedStage& stage : plan.stages) {
        PartitionProblem one = problem;
        one.devices = {problem.devices[size_t(stage.device)]};
        one.links.clear();
        requireFitsInMemory(one, {{stage.first, stage.last, 0, stage.recompute, stage.replicas}}, plan.schedule);
    }
}

namespace {

void requireKnown(const std::string& what, const std::string& name, const std::vector<std::string>& known)
{
    if (std::find(known.begin(), known.end(), name) != known.end())
        return;
    std::string list;
    for (const std::string& entry : known)
        list += (list.empty() ? "" : ", ") + entry;
    throw InvalidArgument("plan: unknown " + what + " '" + name + "' (known: " + list + ")");
}

} // namespace

void validatePlan(const Plan& plan)
{
    requireKnown("schedule", plan.schedule, scheduleNames());
    requireKnown("partitioner", plan.partitioner, partitionerNames());
    optimizerStateVectors(plan.optimizer);
    requireEqualMicroBatches(plan.batch, plan.microBatches);
    validateModelCosts(plan.costs);
    if (plan.devices.empty())
        throw InvalidArgument("plan: no devices");
    const ScheduleTraits traits = scheduleTraits(plan.schedule);
    for (const PlanDeviceEntry& device : plan.devices) {
        plan.costs.at(device.costsDevice);
        if (device.memoryBytes < 0 || device.sharedBy < 1 || device.replicas < 1)
            throw InvalidArgument("plan: device " + device.label
                                  + " needs a non-negative memory, and shared_by and replicas of at least 1");
        if (device.replicas > 1 && device.costsDevice != replicatedCostsDevice(device.replicas))
            throw InvalidArgument("plan: device " + device.label + " has " + std::to_string(device.replicas)
                                  + " replicas and must be timed by the costs of '"
                                  + replicatedCostsDevice(device.replicas) + "' (CPU cores only), not '"
                                  + device.costsDevice + "'");
        if (device.replicas > 1 && (traits.replicated || traits.interleaved))
            throw InvalidArgument("plan: device " + device.label + " replicates a stage, which " + plan.schedule
                                  + " does not do (replicas apply to one-stage-per-device pipelines)");
    }
    for (size_t k = 0; k + 1 < plan.devices.size(); ++k) {
        const LinkSpec& link = plan.devices[k].linkToNext;
        if (!(link.bytesPerSecond > 0.0) || !(link.latencySeconds >= 0.0))
            throw InvalidArgument("plan: the link after device " + plan.devices[k].label
                                  + " needs a positive bandwidth and a non-negative latency");
    }
    const int units = plan.costs.unitCount();
    if (plan.stages.empty() || plan.stages.size() > plan.devices.size())
        throw InvalidArgument("plan: " + std::to_string(plan.stages.size()) + " stages for "
                              + std::to_string(plan.devices.size()) + " devices (expected 1 to "
                              + std::to_string(plan.devices.size()) + ")");
    if (traits.singleStage && plan.stages.size() != 1)
        throw InvalidArgument("plan: schedule " + plan.schedule + " runs one stage, the plan has "
                              + std::to_string(plan.stages.size()));
    if (!traits.interleaved && plan.chunks != 1)
        throw InvalidArgument("plan: chunks " + std::to_string(plan.chunks) + " apply to interleaved only, not "
                              + plan.schedule);
    if (traits.interleaved
        && (plan.chunks < 2 || plan.stages.size() != plan.devices.size() || plan.devices.size() % plan.chunks != 0))
        throw InvalidArgument("plan: interleaved with " + std::to_string(plan.chunks) + " chunks needs at least 2 "
                              + "and a stage on every one of the devices' chunks; it has "
                              + std::to_string(plan.stages.size()) + " stages for "
                              + std::to_string(plan.devices.size()) + " device chunks");
    int next = 0;
    for (size_t k = 0; k < plan.stages.size(); ++k) {
        const PlannedStage& stage = plan.stages[k];
        const std::string where = "plan: stage " + std::to_string(k);
        if (stage.device != int(k))
            throw InvalidArgument(where + " must run on device " + std::to_string(k) + ", not "
                                  + std::to_string(stage.device));
        const int first = traits.replicated ? 0 : next;
        if (stage.first != first || stage.last < stage.first || stage.last >= units)
            throw InvalidArgument(where + " holds units " + std::to_string(stage.first) + ".."
                                  + std::to_string(stage.last) + "; expected units from " + std::to_string(first)
                                  + " to at most " + std::to_string(units - 1)
                                  + (traits.replicated ? " (" + plan.schedule + ": every stage holds all units)" : ""));
        if (traits.replicated && stage.last != units - 1)
            throw InvalidArgument(where + " must hold every unit under " + plan.schedule);
        if (stage.replicas != plan.devices[k].replicas)
            throw InvalidArgument(where + " has " + std::to_string(stage.replicas) + " replicas, its device "
                                  + plan.devices[k].label + " " + std::to_string(plan.devices[k].replicas));
        next = stage.last + 1;
    }
    if (next != units)
        throw InvalidArgument("plan: the stages end at unit " + std::to_string(next - 1) + ", the model has "
                              + std::to_string(units) + " units");
}

Schedule planSchedule(const Plan& plan, int miniBatches)
{
    Schedule schedule =
        buildSchedule(plan.schedule, int(plan.stages.size()), int(plan.microBatches), miniBatches, plan.chunks);
    insertRecomputation(schedule, recomputingStages(plan.stages));
    return schedule;
}

std::vector<std::string> stageNames(const Plan& plan)
{
    std::vector<std::string> names;
    for (size_t s = 0; s < plan.stages.size(); ++s) {
        const PlannedStage& stage = plan.stages[s];
        names.push_back("stage " + std::to_string(s) + ": " + plan.devices[size_t(stage.device)].label + ", units "
                        + std::to_string(stage.first) + "-" + std::to_string(stage.last));
    }
    return names;
}

} // namespace lpm
