// Schedules as action lists, one list per stage (DESIGN §1.4). The same lists
// drive the simulator (sim/, which also validates them) and the executor's
// workers (pipeline/).
//
//   sequential  one stage: F(i), B(i) for every micro-batch, then U
//   gpipe       all forwards, then all backwards, U, then a flush
//   1f1b        (p − s − 1) warm-up forwards, one-forward-one-backward, the
//               remaining backwards, U, then a flush
//   lpm         1F1B order with update unlocking: each stage updates right
//               after its own last backward and goes on without a flush
//   lpm-async   no flush and no drain: micro-batches of consecutive
//               mini-batches stream through one continuous 1F1B pipeline, and
//               each stage updates after the m-th backward of a mini-batch
//   dp          data parallel: every stage holds the whole model, runs its
//               share of the micro-batches, all-reduces gradients, then U
//   zb-h1       zero bubble: the backward split into B (input gradients) and
//               W (weight gradients), W filling the bubbles, at 1F1B's memory
//               (p − s micro-batches on stage s); U, then a flush
//   zb-h2       the same with up to 2(p − s) − 1 micro-batches on stage s,
//               so that the steady state has no bubble
//   lpm-zb      zb-h1's order with lpm's update unlocking: each stage
//               updates right after its own last W, without a flush
//   interleaved interleaved 1F1B (Narayanan et al., SC 2021; Megatron-LM):
//               p devices each hold v model chunks, stage c·p + d on device
//               d; each device runs its chunks' forwards and backwards in
//               groups of p micro-batches, with (p − d − 1)·2 + (v − 1)·p
//               warm-up forwards, its updates, then a flush (m a multiple of p)
//
// Any of them may recompute activations on some stages (insertRecomputation:
// an R before each B of those stages).
//
// Backwards (and Ws) run in micro-batch order 0..m−1 on every stage, as the
// sequential reference accumulates them, which is what makes every schedule
// but lpm-async (stale weights) and dp (gradients summed per replica first)
// exact.
#pragma once

#include <string>
#include <vector>

namespace lpm {

enum class ActionKind {
    Forward,           // F(micro-batch)
    Backward,          // B(micro-batch): the whole backward, or its input half where the schedule has W
    Update,            // U: optimizer step of the stage's parameters
    SendActivation,    // to stage s + 1
    ReceiveActivation, // from stage s − 1
    SendGradient,      // to stage s − 1
    ReceiveGradient,   // from stage s + 1
    Flush,             // wait until every stage reached its Flush of this mini-batch
    AllReduce,         // dp: sum gradients over all stages (every stage takes part)
    WeightGradient,    // W(micro-batch): the parameter gradients of an earlier B (split schedules)
    Recompute,         // R(micro-batch): the forward again, from the kept input, before its B (recomputation)
};

struct Action {
    ActionKind kind = ActionKind::Forward;
    int microBatch = -1; // within the mini-batch; −1 for U, Flush, AllReduce
    int miniBatch = 0;
    int stage = 0; // whose units the action runs (and whose neighbours a transfer reaches)

    bool operator==(const Action&) const = default;
};

using StageActions = std::vector<Action>;

// Which way a message between neighbouring stages goes: an activation forward
// to stage s + 1, a gradient back to stage s − 1.
enum class Direction { Activation, Gradient };

// "activation" or "gradient", for messages to the user.
constexpr const char* directionName(Direction direction)
{
    return direction == Direction::Gradient ? "gradient" : "activation";
}

// The direction of a send's or a receive's message (Gradient for
// SendGradient and ReceiveGradient, Activation for any other kind).
constexpr Direction messageDirection(ActionKind kind)
{
    return kind == ActionKind::SendGradient || kind == ActionKind::ReceiveGradient ? Direction::Gradient
                                                                                   : Direction::Activation;
}

// The lists a schedule's workers (devices) play. Every schedule but
// interleaved has one stage per worker (worker w plays stage w's actions);
// interleaved has `chunks` stages per worker, stage s on worker s mod workers.
struct Schedule {
    std::string name;
    int stages = 1;
    int microBatches = 1;
    int miniBatches = 1;
    int workers = 1;                   // stages / chunks
    std::vector<StageActions> actions; // actions[w]: what worker w plays, in order
};

// Builds schedule `name` for the given shape. Throws InvalidArgument for an
// unknown name (listing the known ones), fewer than 1 stage, micro-batch or
// mini-batch, `sequential` with more than one stage, chunks other than 1
// for any schedule but interleaved, and for interleaved fewer than 2 chunks,
// stages not a multiple of them, or micro-batches not a multiple of the
// workers (stages / chunks).
Schedule buildSchedule(const std::string& name, int stages, int microBatches, int miniBatches = 1, int chunks = 1);

// Throws InvalidArgument naming the first action whose stage is not one of
// the schedule's (what indexes per-stage counts and flags must never meet).
void requireActionStages(const Schedule& schedule);

// Stage `stage`'s actions, in the order its worker plays them.
StageActions actionsOfStage(const Schedule& schedule, int stage);

const std::vector<std::string>& scheduleNames();

// What the code that plans, runs and shows a schedule needs to know of it, so
// that no caller compares schedule names. Each schedule is described once, in
// schedule.cpp: these traits and the builder of its action lists.
struct ScheduleTraits {
    bool singleStage = false;    // sequential: everything on the first device
    bool replicated = false;     // dp: every stage holds the whole model
    bool continuous = false;     // lpm-async: mini-batches overlap, without a flush
    bool flushes = false;        // gpipe, 1f1b: every stage waits for all at the end of a mini-batch
    bool splitsBackward = false; // zb-h1, zb-h2, lpm-zb: B computes input gradients, W (later) weight gradients
    bool interleaved = false;    // interleaved: several model chunks (stages) per device
    // Leaves the weights of sequential bit for bit: every schedule but the
    // continuous one (stale weights) and dp (its replicas' gradients are
    // summed per replica first, another order: equal to rounding only).
    bool exact() const { return !continuous && !replicated; }
    // Computes with weights older than sequential's (lpm-async): never
    // offered in place of a schedule that does not.
    bool stale() const { return continuous; }
    // No cuts to place: a single stage, or replicas of the whole model.
    bool fixedCuts() const { return singleStage || replicated; }
    // Weight stashing (a stage keeps the weights each in-flight micro-batch
    // was forwarded with) applies only where mini-batches overlap.
    bool allowsWeightStash() const { return continuous; }
    // Gradient clipping by global norm (the stages agree on the norm before
    // any of them updates): every exact schedule with one chunk per stage,
    // and dp; not yet lpm-async or interleaved chunks.
    bool allowsClipping(int chunks) const { return chunks <= 1 && (exact() || replicated); }
    // The stages the schedule runs on `devices` devices (interleaved: `chunks` on each).
    int stagesOn(int devices, int chunks = 1) const
    {
        return singleStage ? 1 : interleaved ? devices * chunks : devices;
    }
};

// Throws InvalidArgument for an unknown name, listing the known ones.
ScheduleTraits scheduleTraits(const std::string& name);

// The schedule a run uses when it names none: sequential on one device,
// kPipelinedSchedule when it is pipelined.
inline constexpr const char* kSequentialSchedule = "sequential";
inline constexpr const char* kPipelinedSchedule = "lpm";

// Activation recomputation: on every stage s with recomputing[s], an R of
// each micro-batch goes before its B, ahead of the receive of the gradient
// that B needs (so that the R fills the wait for it where it can). Such a
// stage keeps only its input per micro-batch in flight, and the whole
// forward's activations of one micro-batch from R to B. Throws
// InvalidArgument unless `recomputing` has one entry per stage.
void insertRecomputation(Schedule& schedule, const std::vector<bool>& recomputing);

// Per stage, the most micro-batches forwarded and not yet backwarded at once:
// the activations the stage keeps (1F1B: min(p − s, m); GPipe: m). Where the
// backward is split, this counts up to B; after it, a micro-batch keeps only
// what its W reads (inputs and output gradients of the layers with
// parameters) until W, which this does not count.
std::vector<int> peakInFlightMicroBatches(const Schedule& schedule);

// The most activations any stage of schedule `name` keeps, on `devices`
// devices with `microBatches` micro-batches per mini-batch (and `chunks`
// stages per device for interleaved).
int peakInFlightMicroBatches(const std::string& name, int devices, int microBatches, int chunks = 1);

// True when the lists hold W actions: each B computes only input gradients.
bool splitsBackward(const Schedule& schedule);

// Per stage, the most micro-batches between their B and their W at once
// (0 where the backward is not split), and the most on any stage of `name`.
std::vector<int> peakAwaitingWeightMicroBatches(const Schedule& schedule);
int peakAwaitingWeightMicroBatches(const std::string& name, int devices, int microBatches, int chunks = 1);

// How an action kind is shown: its symbol ("F", "send activation"), its
// category in a Chrome trace ("forward", "communication"), and the colour of
// its boxes on a timeline (0xRRGGBB).
struct ActionKindLook {
    const char* symbol;
    const char* category;
    unsigned colour;
};
const ActionKindLook& actionKindLook(ActionKind kind);

std::string describeAction(const Action& action);

} // namespace lpm
