#include "cli/training_plan.h"

#include <cstdio>

#include "cli/cost_sources.h"
#include "devices/host_devices.h"
#include "io/whole_file.h"
#include "plan/plan_json.h"
#include "sim/prediction.h"
#include "tensor/error.h"

namespace lpm::cli {

namespace {

// Training runs on CPU cores (one per stage) or on one local GPU (a stream
// per stage); catalogue devices, mixes and several GPUs are for planning.
void requireTrainableStages(const DeviceSet& set)
{
    const DeviceSlot& first = set.stageSlots.front();
    for (const DeviceSlot& slot : set.stageSlots) {
        if (slot.kind == DeviceKind::Catalog)
            throw InvalidArgument("device " + slot.label + ": catalogue devices are for planning; train on CPU "
                                  "stages (--devices cpu:N) or on one local GPU (--devices cuda:KxN)");
        if (slot.kind != first.kind || (slot.kind == DeviceKind::Cuda && slot.ordinal != first.ordinal))
            throw InvalidArgument("devices " + set.spec + ": a run trains on CPU stages only or on stages of one "
                                  "GPU only (cuda:KxN); stages on several GPUs are not available yet");
    }
}

} // namespace

Plan makePlan(const PlanRequest& request)
{
    requireEqualMicroBatches(request.batch, request.microBatches);
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
    plan.devices = planDevices(set, host);
    int cpuStages = 0;
    for (const DeviceSlot& slot : set.stageSlots)
        cpuStages += slot.kind == DeviceKind::Cpu;
    if (cpuStages > host.cpuCores && !request.quiet)
        std::fprintf(stderr, "note: %d CPU stages on %d usable cores: stages will share cores, the "
                             "prediction assumes one core each\n", cpuStages, host.cpuCores);
    plan.costs = costsForDevices(plan.model, set, plan.microBatchSize(), request.costsFile, request.quiet);
    partitionPlanPredicted(plan);
    return plan;
}

Plan trainingPlan(const PlanRequest& request)
{
    if (request.planFile.empty()) {
        requireTrainableStages(parseDeviceSet(request.devices)); // before any profiling
        return makePlan(request);
    }
    Plan plan = planFromJson(readWholeFile(request.planFile, "plan"), request.planFile);
    requireTrainableStages(parseDeviceSet(plan.deviceSpec));
    return plan;
}

std::string trainingBackend(const Plan& plan)
{
    const DeviceSlot& first = parseDeviceSet(plan.deviceSpec).stageSlots.front();
    return first.kind == DeviceKind::Cuda ? "cuda:" + std::to_string(first.ordinal) : "cpu";
}

} // namespace lpm::cli
