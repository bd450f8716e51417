#include "train/design.h"

#include <nlohmann/json.hpp>

#include "devices/training_devices.h"
#include "io/atomic_file.h"
#include "io/json_reader.h"
#include "io/whole_file.h"
#include "plan/plan_json.h"
#include "schedule/schedule.h"

namespace lpm {

namespace {
constexpr const char* kDesignFormat = "lpm-design";

// The optional optimizer settings of "training" (absent: the defaults).
void readOptimizerSettings(const JsonReader& training, TrainingSettings& settings)
{
    if (training.has("lr_schedule")) {
        settings.learningRateSchedule = training.field("lr_schedule").text();
        if (settings.learningRateSchedule != "constant" && settings.learningRateSchedule != "cosine")
            training.field("lr_schedule")
                .fail("expected \"constant\" or \"cosine\", got \"" + settings.learningRateSchedule + "\"");
    }
    if (training.has("warmup_steps")) {
        settings.warmupSteps = training.field("warmup_steps").integer();
        if (settings.warmupSteps < 0)
            training.field("warmup_steps").fail("expected 0 or more, got " + std::to_string(settings.warmupSteps));
    }
    if (training.has("clip_grad_norm")) {
        settings.clipGradNorm = training.field("clip_grad_norm").number();
        if (!(settings.clipGradNorm >= 0.0))
            training.field("clip_grad_norm").fail("expected 0 (no clipping) or a positive norm");
    }
    if (training.has("weight_decay")) {
        settings.weightDecay = training.field("weight_decay").number();
        if (!(settings.weightDecay >= 0.0 && settings.weightDecay <= 1.0))
            training.field("weight_decay").fail("expected a number in [0, 1]");
    }
}
} // namespace

std::string designToJson(const Design& design)
{
    const TrainingSettings& training = design.training;
    const nlohmann::json root = {{"format", kDesignFormat},
                                 {"version", Design::kFormatVersion},
                                 {"plan", planValue(design.plan)},
                                 {"training",
                                  {{"dataset", training.dataset},
                                   {"epochs", training.epochs},
                                   {"steps", training.steps},
                                   {"learning_rate", training.learningRate},
                                   {"seed", training.seed},
                                   {"compare_sequential", training.compareSequential},
                                   {"weight_stash", training.weightStash},
                                   {"lr_schedule", training.learningRateSchedule},
                                   {"warmup_steps", training.warmupSteps},
                                   {"clip_grad_norm", training.clipGradNorm},
                                   {"weight_decay", training.weightDecay}}}};
    return root.dump(1) + "\n";
}

Design designFromJson(const std::string& text, const std::string& source)
{
    const nlohmann::json document = parseJson(text, source);
    const JsonReader root(document, source, "");
    root.requireFormat(kDesignFormat, Design::kFormatVersion);
    Design design;
    design.plan = readPlan(root.field("plan"));
    const JsonReader training = root.field("training");
    TrainingSettings& settings = design.training;
    settings.dataset = training.field("dataset").text();
    if (settings.dataset.empty())
        training.field("dataset").fail("expected a data set name or folder, got an empty string");
    settings.epochs = training.field("epochs").integer();
    if (settings.epochs < 0)
        training.field("epochs").fail("expected 0 or more, got " + std::to_string(settings.epochs));
    settings.steps = training.field("steps").integer();
    if (settings.steps < 0)
        training.field("steps").fail("expected 0 or more, got " + std::to_string(settings.steps));
    if (settings.epochs == 0 && settings.steps == 0)
        training.fail("epochs and steps are both 0: nothing to train");
    settings.learningRate = training.field("learning_rate").number();
    if (!(settings.learningRate > 0.0))
        training.field("learning_rate").fail("expected a positive number");
    const JsonReader seed = training.field("seed");
    if (!seed.value().is_number_unsigned())
        seed.fail("expected an integer of 0 or more");
    settings.seed = seed.value().get<uint64_t>();
    settings.compareSequential = training.field("compare_sequential").boolean();
    settings.weightStash = training.field("weight_stash").boolean();
    if (settings.weightStash && !scheduleTraits(design.plan.schedule).allowsWeightStash())
        training.field("weight_stash")
            .fail("weight stashing applies to lpm-async only, the plan's schedule is " + design.plan.schedule);
    readOptimizerSettings(training, settings);
    if (settings.clipGradNorm > 0.0 && !scheduleTraits(design.plan.schedule).allowsClipping(design.plan.chunks))
        training.field("clip_grad_norm")
            .fail("gradient clipping is not available under " + design.plan.schedule
                  + " yet (it runs under sequential, dp and every exact schedule with one chunk per stage)");
    return design;
}

Design loadDesignFile(const std::string& path)
{
    return designFromJson(readWholeFile(path, "design file"), path);
}

void saveDesignFile(const std::string& path, const Design& design)
{
    writeFileAtomically(path, designToJson(design));
}

std::vector<std::string> stageBackendsOf(const Plan& plan)
{
    const std::vector<std::string> slots = stageBackendsFor(parseDeviceSet(plan.deviceSpec));
    std::vector<std::string> stages;
    for (size_t k = 0; k < plan.stages.size() && !slots.empty(); ++k)
        stages.push_back(slots[k % slots.size()]);
    return stages;
}

SessionRequest sessionRequestFor(const Design& design)
{
    SessionRequest request;
    TrainOptions& train = request.train;
    const Plan& plan = design.plan;
    train.model = plan.model;
    const DeviceSet devices = parseDeviceSet(plan.deviceSpec);
    train.backend = trainingBackendFor(devices); // CPU cores, or where the first GPU stage computes
    train.stageBackends = stageBackendsOf(plan);
    train.batch = plan.batch;
    train.microBatches = plan.microBatches;
    train.schedule = plan.schedule;
    train.chunks = plan.chunks;
    train.stages = plan.stages;
    train.optimizer.kind = plan.optimizer;
    train.optimizer.learningRate = float(design.training.learningRate);
    train.optimizer.schedule = design.training.learningRateSchedule;
    train.optimizer.warmupSteps = design.training.warmupSteps;
    train.optimizer.clipGradNorm = float(design.training.clipGradNorm);
    train.optimizer.weightDecay = float(design.training.weightDecay);
    train.epochs = design.training.epochs;
    train.steps = design.training.steps;
    train.seed = design.training.seed;
    train.weightStash = design.training.weightStash;
    train.liveSampleBytes = kLiveSampleBytes; // (language models only)
    request.dataset = design.training.dataset;
    request.compareSequential = design.training.compareSequential;
    return request;
}

} // namespace lpm
