// What a plan will do (DESIGN §3): its stages' times from the plan's costs
// and links, played by the simulator under the plan's schedule.
//
// Metrics are for the steady state, where a long training run spends its
// time: the iteration time is the period of one mini-batch, measured as
// (T(1 + kSteadyMiniBatches) − T(1)) / kSteadyMiniBatches from the makespans
// T of simulated runs, so schedules without a flush (lpm, lpm-async) are
// credited with the overlap of consecutive mini-batches, and gpipe and 1f1b
// give their single mini-batch's makespan.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "schedule/timeline.h"
#include "sim/simulator.h"

namespace lpm {

inline constexpr int kSteadyMiniBatches = 4;

struct StagePrediction {
    int first = 0;
    int last = 0;
    std::string device;                // label
    double forwardSeconds = 0.0;       // per micro-batch, all the stage's units
    double backwardSeconds = 0.0;      // per micro-batch
    double communicationSeconds = 0.0; // per micro-batch: activation in plus gradient out
    double updateSeconds = 0.0;        // per mini-batch
    double allReduceSeconds = 0.0;     // per mini-batch (dp)
    int peakInFlight = 0;              // micro-batches forwarded and not yet backwarded
    bool recompute = false;            // keeps only inputs in flight, recomputes the forward before B
    int64_t memoryBytes = 0;           // parameters, gradients, optimizer state, saved activations at the peak
                                       // (peakStageBytes)
    int64_t capacityBytes = 0;
    double busyFraction = 0.0; // of the iteration
};

struct Prediction {
    double iterationSeconds = 0.0; // steady-state period of one mini-batch
    double samplesPerSecond = 0.0;
    double sequentialSeconds = 0.0; // one mini-batch under sequential on the fastest device
    std::string sequentialDevice;   // that device's label
    double speedup = 0.0;           // sequentialSeconds / iterationSeconds
    double bubbleFraction = 0.0;    // 1 − Σ busy / (stages · iteration)
    std::vector<StagePrediction> stages;
    Timeline timeline; // of the first timelineMiniBatches mini-batches
};

// dp replicas on CPU cores share the host's memory: the executor sums and
// copies in it directly rather than sending over a link, at the update's rate.
bool replicasShareHostMemory(const Plan& plan);

// The simulator's input for the plan's stages (micro-batches of the plan's size).
std::vector<StageTimes> stageTimesFor(const Plan& plan);

// Throws InvalidArgument for a plan validatePlan rejects, or fewer than one
// timeline mini-batch.
Prediction predictPlan(const Plan& plan, int timelineMiniBatches = 1);

// The stage that needs the most memory (throws InvalidArgument without stages).
const StagePrediction& largestStage(const Prediction& prediction);
// The first stage whose predicted memory exceeds its device's capacity; −1: none.
int firstStageOverMemory(const Prediction& prediction);

// Throws InvalidArgument naming the first stage whose predicted memory
// exceeds its device's capacity: its units, device, bytes needed and bytes
// over (training such a plan would run out of memory part-way).
void requirePlanFits(const Plan& plan, const Prediction& prediction);

// The steady-state iteration seconds alone (Prediction::iterationSeconds).
double predictIterationSeconds(const Plan& plan);

// Seconds of one run of `miniBatches` mini-batches that starts with empty
// stages and ends when every stage has updated: the steady state plus one
// fill and one drain, which is what a short measured run contains (lpm and
// lpm-async overlap consecutive mini-batches only within a run). Throws
// InvalidArgument for fewer than one mini-batch.
double predictRunSeconds(const Plan& plan, int miniBatches);

// partitionPlan with the simulator's iteration time as lpm's step-5 objective.
void partitionPlanPredicted(Plan& plan);

} // namespace lpm
