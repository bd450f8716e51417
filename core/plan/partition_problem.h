// What a partitioner sees: a chain of units with their costs, and the devices
// of a pipeline in order with the links between neighbours. Pure values.
//
// Cost model (DESIGN §1.2): a stage [first, last] on device d takes, per
// micro-batch,
//   t = Σ unitSeconds[u] / speed(d)  +  2·(latency + outputBytes[first−1] / bandwidth)
// where the second term (activation in, gradient out) applies when first > 0
// and uses the link into device d. Its memory is
//   Σ staticBytes[u] + inflightMicroBatches · Σ savedBytes[u]
//                    + awaitingWeightMicroBatches · Σ weightGradientBytes[u]
// and must fit the device's memoryBytes. With recomputation the saved term
// becomes inflightMicroBatches · (the stage's input) + Σ savedBytes[u]: each
// micro-batch in flight keeps only its input, and one at a time has its
// forward's activations again, from its R to its B (peakStageBytes).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace lpm {

struct PlanDevice {
    std::string name;
    double speed = 1.0; // compute rate relative to the reference device of unitSeconds
    int64_t memoryBytes = std::numeric_limits<int64_t>::max();
};

// The link from devices[d] to devices[d + 1].
struct PlanLink {
    double bandwidthBytesPerSecond = 1e12;
    double latencySeconds = 0.0;
};

struct PlannedStage;

struct PartitionProblem {
    std::vector<double> unitSeconds;  // forward + backward per micro-batch, reference device
    std::vector<int64_t> outputBytes; // activation crossing a cut after each unit, per micro-batch
    std::vector<int64_t> staticBytes; // parameters, gradients and optimizer state of each unit
    std::vector<int64_t> savedBytes;  // kept for backward per micro-batch in flight
    std::vector<PlanDevice> devices;  // pipeline order
    std::vector<PlanLink> links;      // devices.size() − 1 links
    int64_t inflightMicroBatches = 1; // activations a stage keeps (schedule's worst case)
    // Split backwards: what W reads, kept from B to W per micro-batch (empty:
    // nothing), and the most micro-batches between their B and W on a stage.
    std::vector<int64_t> weightGradientBytes;
    int64_t awaitingWeightMicroBatches = 0;
    // Activation recomputation on every stage (PlannedStage::recompute), and
    // the model's input per micro-batch, which a first stage then keeps.
    bool recompute = false;
    int64_t inputBytes = 0;
    // Optional: the predicted iteration seconds of a partition under the
    // plan's schedule (the simulator's, sim/prediction.h). When set, lpm's
    // step 5 compares stage counts by it instead of by the bottleneck, so
    // bubbles and transfers the bottleneck does not see decide how many
    // devices to use. The other partitioners ignore it.
    std::function<double(const std::vector<PlannedStage>&)> iterationSeconds;

    int unitCount() const { return static_cast<int>(unitSeconds.size()); }
    int deviceCount() const { return static_cast<int>(devices.size()); }
};

// Throws InvalidArgument naming the field when sizes disagree, a value is
// negative, or there are no units or no devices.
void validatePartitionProblem(const PartitionProblem& problem);

// One stage of a plan: units [first, last] on devices[device].
struct PlannedStage {
    int first = 0;
    int last = 0;
    int device = 0;
    // Activation recomputation: the stage keeps only its input per
    // micro-batch in flight and runs its forward again (R) before each B.
    bool recompute = false;
    // CPU cores the stage runs on, its backend splitting each micro-batch's
    // samples among them (its device entry's replicas; plan.h).
    int replicas = 1;

    bool operator==(const PlannedStage&) const = default;
};

// Stages in pipeline order, covering every unit once; stage k runs on device k
// (a plan may use fewer devices than the problem offers, never skip one).
using Partition = std::vector<PlannedStage>;

// Per stage, whether it recomputes (insertRecomputation's argument).
std::vector<bool> recomputingStages(const Partition& partition);

// Seconds per micro-batch to bring a stage starting at `first` its input and
// send back its gradient over the link into `device`: 0 for the first stage.
double communicationSeconds(const PartitionProblem& problem, int first, int device);
// Seconds per micro-batch of units [first, last] on `device` (see the cost model).
double stageSeconds(const PartitionProblem& problem, int first, int last, int device);
int64_t stageMemoryBytes(const PartitionProblem& problem, int first, int last);
// What a stage whose first unit is `first` receives per micro-batch: the
// activation after unit first − 1, or the model's input.
int64_t stageInputBytes(const PartitionProblem& problem, int first);

// A stage's bytes, summed over its units (activations per micro-batch).
struct StageMemory {
    int64_t staticBytes = 0;         // parameters, gradients, optimizer state
    int64_t savedBytes = 0;          // what its forward keeps for B, per micro-batch
    int64_t weightGradientBytes = 0; // what W reads, kept from B to W, per micro-batch
    int64_t inputBytes = 0;          // its input, per micro-batch
};
// The stage's peak: static bytes; per micro-batch in flight (forwarded, not
// yet B) its saved bytes, or with `recompute` its input alone plus one
// micro-batch's saved bytes (rebuilt by R for its B); and per micro-batch
// between B and W what W reads.
int64_t peakStageBytes(const StageMemory& stage, int64_t inFlight, int64_t awaitingWeights, bool recompute);
// The slowest stage's seconds: what bounds a pipeline's throughput.
double bottleneckSeconds(const PartitionProblem& problem, const Partition& partition);
// True when every stage fits its device's memory.
bool fitsInMemory(const PartitionProblem& problem, const Partition& partition);
// The stages whose exclusive end units are `ends` ({e0, e1, ..., n}), stage k on device k.
Partition partitionFromEnds(const std::vector<int>& ends);

// O(1) stage costs from running sums over the units, for partitioners that
// weigh many candidate stages. Stages here are half-open: units [first, end).
class StageCosts {
public:
    explicit StageCosts(const PartitionProblem& problem);

    // Compute seconds on the reference device (speed 1), no communication.
    double referenceSeconds(int first, int end) const { return seconds_[size_t(end)] - seconds_[size_t(first)]; }
    // As stageSeconds: compute on `device` plus the input boundary's communication.
    double seconds(int first, int end, int device) const;
    int64_t bytes(int first, int end) const;
    bool fits(int first, int end, int device) const
    {
        return bytes(first, end) <= problem_.devices[size_t(device)].memoryBytes;
    }

private:
    const PartitionProblem& problem_;
    std::vector<double> seconds_; // reference seconds of units [0, j), j = 0..n
    // Of units [0, j): static, saved and weight-gradient bytes (StageMemory).
    std::vector<int64_t> static_, saved_, weightGradient_;
};

// Throws InvalidArgument naming the first stage that does not fit: its units,
// device, bytes needed and bytes over ("<partitioner> partition does not fit...").
void requireFitsInMemory(const PartitionProblem& problem, const Partition& partition, const std::string& partitioner);

} // namespace lpm
