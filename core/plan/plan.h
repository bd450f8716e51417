// A plan: which units run on which device, under which schedule, with the
// costs it was made from, so that it can be predicted (sim/prediction.h),
// saved, edited and loaded again (plan_json.h) without the machine it was
// made on. Stage k runs on devices[k]; a plan may leave later devices unused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "devices/device_set.h"
#include "devices/host_devices.h"
#include "plan/cost_model.h"
#include "plan/partition_problem.h"
#include "schedule/schedule.h"

namespace lpm {

struct PlanDeviceEntry {
    std::string label;       // unique: "cpu:0", "H100#3"
    std::string costsDevice; // which ModelCosts::devices entry times it: "cpu", "H100"
    int64_t memoryBytes = 0; // capacity one stage may use
    int sharedBy = 1;        // stages sharing this physical device divide its rate
    LinkSpec linkToNext;     // to devices[k + 1]; unused on the last device
    // Stage replication (hybrid data × pipeline parallelism): the entry is
    // this many CPU cores that run one stage together, the stage's backend
    // splitting each micro-batch's samples among them (replicatedDevices).
    // Its times are those of costsDevice == replicatedCostsDevice(replicas).
    int replicas = 1;
};

struct Plan {
    static constexpr int kFormatVersion = 1;

    std::string model;
    std::string deviceSpec;
    std::string partitioner;
    std::string schedule;
    std::string optimizer = "sgd"; // "sgd" (momentum: 1 state vector), "adam" or "adamw" (2)
    int64_t batch = 1;
    int64_t microBatches = 1;
    // Activation recomputation asked for every stage (`--recompute`):
    // partitionPlan plans the memory with it and sets it on each stage it
    // makes. What runs and is predicted is each stage's own flag.
    bool recompute = false;
    // interleaved: model chunks per physical device (devices then holds
    // each device `chunks` times, interleavedDevices); 1 for every other schedule.
    int chunks = 1;
    std::vector<PlanDeviceEntry> devices; // every device offered, pipeline order
    Partition stages;                     // stage k on devices[k]; dp: every stage holds all units
    ModelCosts costs;

    int64_t microBatchSize() const { return batch / microBatches; }
};

// The devices of a set with the capacity and links a plan assumes: CPU stages
// share this machine's memory equally; a catalogue GPU's memory is its data
// sheet's; stages sharing a GPU split its memory.
std::vector<PlanDeviceEntry> planDevices(const DeviceSet& set, const HostDevices& host);

// The pipeline order of `chunks` model chunks on each of `devices` (p ≥ 2):
// p·chunks entries, entry k the device k mod p labelled "<label>/<chunk>",
// with 1/chunks of its memory (its chunks share it) and its link to the next
// entry: the device's own to the next device, and from the last device back
// to the first (chunk c's end to chunk c + 1's start) the first device's
// link, the same kind of hop. Its rate is not divided: the device runs its
// chunks one after another, as the simulator plays them on one clock.
// Throws InvalidArgument for fewer than 2 devices or chunks.
std::vector<PlanDeviceEntry> interleavedDevices(const std::vector<PlanDeviceEntry>& devices, int chunks);
// The physical devices of a plan: its devices, for an interleaved plan the
// first chunk's entries with their labels and whole memory back, and for a
// replicated one each group's cores again ("cpu:K", its share of memory).
std::vector<PlanDeviceEntry> physicalDevices(const Plan& plan);

// Stage replication on CPU cores. A stage replicated on r cores is one
// worker whose CPU backend has r threads: every operation splits the
// micro-batch's samples among them in fixed groups and sums the groups'
// weight gradients in group order, so the replicas' gradients are summed
// before the update, in an order that does not depend on r, and the weights
// stay those of sequential bit for bit. Replicas share the stage's weights,
// so nothing is copied or all-reduced between them. (Replicating a stage
// over GPUs, with an all-reduce between their memories, is not built yet.)
//
// The costs of a stage on r cores, measured with an r-thread backend:
// "cpu" for r = 1, "cpu*r" otherwise.
std::string replicatedCostsDevice(int replicas);
// Groups consecutive CPU cores into replicated entries: replicas[g] cores
// for group g, labelled "cpu:0-1" (or the core's own label for 1), with
// their memory summed and the last core's link onwards. Throws
// InvalidArgument unless every count is at least 1, they add up to the
// devices, and every grouped device is an unshared CPU core.
std::vector<PlanDeviceEntry> replicatedDevices(const std::vector<PlanDeviceEntry>& devices,
                                               const std::vector<int>& replicas);
// Every group of `devices` cores in `replicas` equal groups: throws
// InvalidArgument unless replicas divides the devices.
std::vector<int> equalReplicas(int devices, int replicas);
// The replicas (CPU cores) of each of the plan's stages; whether any device exceeds 1.
std::vector<int> stageReplicas(const Plan& plan);
bool replicatesStages(const Plan& plan);

// The chunks per device interleaved gets when none are asked for (`--chunks`).
inline constexpr int kDefaultInterleavedChunks = 2;

// `plan` under `schedule` on the same physical devices: interleaved with
// the plan's chunks (kDefaultInterleavedChunks when it had none), any other
// schedule on the devices themselves (replicated stages' cores one by one). Its stages are kept: cut it again
// (partitionPlan) before predicting it.
Plan withSchedule(const Plan& plan, const std::string& schedule);

// Throws InvalidArgument naming both values unless micro-batches is between
// 1 and the batch and divides it (all micro-batches have one size).
void requireEqualMicroBatches(int64_t batch, int64_t microBatches);

// Optimizer state per parameter: SGD with momentum 1, Adam 2 (DESIGN §1.2 k).
int optimizerStateVectors(const std::string& optimizer);

// The partitioning problem a plan's devices, costs, batch and schedule pose.
// unitSeconds are on the fastest kind of device among the plan's devices;
// each device's speed is the ratio of the model's total time on it to that
// (divided by sharedBy), so a mix of device kinds is approximated by one
// speed per device. Activations in flight are the schedule's worst stage
// with one stage per device: m for gpipe, min(p, m) for the 1F1B family;
// with plan.recompute, every stage recomputes.
PartitionProblem partitionProblemFor(const Plan& plan);

// Cuts the plan's model into stages: with the partitioner for pipelined
// schedules, on devices[0] alone for sequential, a whole replica on every
// device for dp. Fills plan.stages (each recomputing when plan.recompute,
// and with its device's replicas); throws InvalidArgument when no plan fits
// in memory (naming the stage and the bytes over). `iterationSeconds`, when
// given, times the candidates (PartitionProblem::iterationSeconds) with their
// stages marked as the plan will be (recomputing when plan.recompute);
// interleaved candidates without a stage on every chunk count as infinite.
void partitionPlan(Plan& plan, const std::function<double(const Partition&)>& iterationSeconds = {});

// Throws InvalidArgument naming the field for anything inconsistent: unknown
// schedule, partitioner or optimizer, unequal micro-batches, stages that do
// not cover the units in order, more stages than devices, a device without
// costs, bad capacities or links.
void validatePlan(const Plan& plan);

// The action lists the plan's stages play over `miniBatches` mini-batches:
// its schedule's, with an R before each B of the stages that recompute.
Schedule planSchedule(const Plan& plan, int miniBatches);

// One name per stage, for traces and the GUI: "stage 1: H100#1, units 4-7".
std::vector<std::string> stageNames(const Plan& plan);

} // namespace lpm
