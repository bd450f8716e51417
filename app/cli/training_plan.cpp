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

void requireCpuStages(const DeviceSet& set)
{
    for (const DeviceSlot& slot : set.slots)
        if (slot.kind != DeviceKind::Cpu)
            throw InvalidArgument("device " + slot.label + ": this build trains on CPU stages only (--devices cpu:N); "
                                  "plan for other devices with `lpm plan`");
}

} // namespace

Plan trainingPlan(const TrainingPlanRequest& request)
{
    const HostDevices host = discoverHostDevices();
    Plan plan;
    if (!request.planFile.empty()) {
        plan = planFromJson(readWholeFile(request.planFile, "plan"), request.planFile);
        requireCpuStages(parseDeviceSet(plan.deviceSpec));
    } else {
        requireEqualMicroBatches(request.batch, request.microBatches);
        const DeviceSet set = parseDeviceSet(request.devices);
        requireCpuStages(set);
        plan.model = request.model;
        plan.deviceSpec = request.devices;
        plan.partitioner = request.partitioner;
        plan.schedule = request.schedule;
        plan.optimizer = request.optimizer;
        plan.batch = request.batch;
        plan.microBatches = request.microBatches;
        plan.devices = planDevices(set, host);
        plan.costs = costsForDevices(plan.model, set, plan.microBatchSize(), "", request.quiet);
        partitionPlanPredicted(plan);
    }
    if (int(plan.stages.size()) > host.cpuCores && !request.quiet)
        std::fprintf(stderr, "note: %zu CPU stages on %d usable cores: stages will share cores\n",
                     plan.stages.size(), host.cpuCores);
    return plan;
}

} // namespace lpm::cli
