#include "cli/training_plan.h"

#include <charconv>
#include <cstdio>

#include "cli/command_costs.h"
#include "devices/host_devices.h"
#include "devices/training_devices.h"
#include "io/whole_file.h"
#include "plan/plan_json.h"
#include "sim/prediction.h"
#include "sim/replication_choice.h"
#include "tensor/error.h"

namespace lpm::cli {

const char* const kReplicasHelp =
    "Stage replication on CPU cores (hybrid data and pipeline parallelism): R cores per stage, each "
    "micro-batch's samples split among them (exact), or auto: the planner tries every grouping of the cores "
    "and keeps the fastest predicted (default 1)";

int parseReplicasOption(const std::string& text)
{
    if (text == "auto")
        return 0;
    int value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < 1)
        throw InvalidArgument("--replicas: expected auto or a whole number of at least 1, got '" + text + "'");
    return value;
}

Plan makePlan(const PlanRequest& request)
{
    requireEqualMicroBatches(request.batch, request.microBatches);
    const bool interleaved = scheduleTraits(request.schedule).interleaved;
    const int chunks = request.chunks > 0 ? request.chunks : interleaved ? kDefaultInterleavedChunks : 1;
    if (!interleaved && chunks != 1)
        throw InvalidArgument("--chunks " + std::to_string(chunks) + " applies to --schedule interleaved only, not "
                              + request.schedule);
    DeviceSet set = parseDeviceSet(request.devices);
    const HostDevices host = discoverHostDevices();
    resolveLocalGpus(set, host.gpu);
    Plan plan;
    plan.model = request.model;
    plan.deviceSpec = request.devices;
    plan.partitioner = request.partitioner;
    plan.schedule = request.schedule;
    plan.optimizer = request.optimizer;
    plan.batch = request.batch;
    plan.microBatches = request.microBatches;
    plan.recompute = request.recompute;
    plan.chunks = chunks;
    plan.devices = planDevices(set, host);
    if (!request.links.empty()) {
        if (request.links.size() + 1 != plan.devices.size())
            throw InvalidArgument(std::to_string(request.links.size()) + " measured links for "
                                  + std::to_string(plan.devices.size()) + " devices; expected one between each two");
        for (size_t k = 0; k < request.links.size(); ++k)
            plan.devices[k].linkToNext = request.links[k];
    }
    if (interleaved)
        plan.devices = interleavedDevices(plan.devices, chunks);
    // Replication: checked before any profiling, and the costs on r cores it needs.
    std::vector<int> replicaThreads;
    if (request.replicas != 1) {
        const ScheduleTraits traits = scheduleTraits(request.schedule);
        if (traits.replicated || traits.interleaved)
            throw InvalidArgument("--replicas applies to one-stage-per-device pipelines, not --schedule "
                                  + request.schedule);
        if (!replicableDevices(plan.devices))
            throw InvalidArgument("--replicas: stages are replicated on CPU cores only (cpu:N), not on "
                                  + request.devices + " (replicating a stage over GPUs is not available yet)");
        const int cores = int(plan.devices.size());
        replicaThreads = request.replicas == 0 ? replicationThreadCounts(cores)
                                               : std::vector<int>{equalReplicas(cores, request.replicas).front()};
    } else if (request.replicaCosts && replicableDevices(plan.devices)) {
        replicaThreads = replicationThreadCounts(int(plan.devices.size()));
    }
    int cpuStages = 0;
    for (const DeviceSlot& slot : set.stageSlots)
        cpuStages += slot.kind == DeviceKind::Cpu;
    if (cpuStages > host.cpuCores && !request.quiet && !request.stagesOnRanks)
        std::fprintf(stderr,
                     "note: %d CPU stages on %d usable cores: stages will share cores, the "
                     "prediction assumes one core each\n",
                     cpuStages, host.cpuCores);
    plan.costs =
        costsForDevices(plan.model, set, plan.microBatchSize(), request.costsFile, request.quiet, replicaThreads);
    const bool replicated = scheduleTraits(plan.schedule).replicated;
    for (const DeviceCosts& device : plan.costs.devices)
        if (!device.calibratedOn.empty() && scheduleTraits(device.calibratedOn).replicated != replicated
            && !request.quiet)
            std::fprintf(stderr,
                         "note: the %s costs in %s were calibrated on a %s run; dp's replicas load the machine "
                         "differently from pipeline stages, so calibrate %s on a %s run\n",
                         device.device.c_str(), request.costsFile.c_str(), device.calibratedOn.c_str(),
                         plan.schedule.c_str(), replicated ? "dp" : "pipelined");
    if (request.replicas == 0) {
        chooseReplication(plan);
        return plan;
    }
    if (request.replicas > 1)
        plan.devices = replicatedDevices(plan.devices, equalReplicas(int(plan.devices.size()), request.replicas));
    partitionPlanPredicted(plan);
    return plan;
}

Plan trainingPlan(const PlanRequest& request)
{
    if (request.planFile.empty()) {
        requireTrainableDevices(parseDeviceSet(request.devices)); // before any profiling
        return makePlan(request);
    }
    Plan plan = planFromJson(readWholeFile(request.planFile, "plan"), request.planFile);
    requireTrainableDevices(parseDeviceSet(plan.deviceSpec));
    return plan;
}

} // namespace lpm::cli
