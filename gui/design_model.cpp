#include "design_model.h"

#include <algorithm>
#include <exception>
#include <numeric>
#include <utility>

#include "data/text_dataset_spec.h"
#include "design_edit_command.h"
#include "devices/device_set.h"
#include "graph/model_source.h"
#include "plan/cost_sources.h"
#include "schedule/schedule.h"
#include "sim/calibration.h"
#include "sim/replication_choice.h"

namespace lpm::gui {

namespace {

// Stage k runs on device k: the invariant every partition edit keeps. With
// replicated stages the cores are grouped anew: each stage's replicas in
// stage order, then the remaining cores one by one (for later splits).
// False, changing nothing, when the stages need more cores than there are.
bool placeStages(Plan& plan)
{
    const bool replicated =
        replicatesStages(plan)
        || std::any_of(plan.stages.begin(), plan.stages.end(), [](const PlannedStage& s) { return s.replicas > 1; });
    std::vector<int> groups;
    for (const PlannedStage& stage : plan.stages)
        groups.push_back(stage.replicas);
    const std::vector<PlanDeviceEntry> cores = replicated ? physicalDevices(plan) : plan.devices;
    const int used = std::accumulate(groups.begin(), groups.end(), 0);
    if (replicated && used > int(cores.size()))
        return false;
    for (size_t k = 0; k < plan.stages.size(); ++k)
        plan.stages[k].device = int(k);
    if (replicated) {
        groups.resize(groups.size() + size_t(int(cores.size()) - used), 1);
        plan.devices = replicatedDevices(cores, groups);
    }
    return true;
}

bool cutsAreFixed(const Plan& plan)
{
    return scheduleTraits(plan.schedule).fixedCuts();
}

// A new schedule; weight stashing stays only under a schedule it applies to (lpm-async).
void changeSchedule(Design& design, const std::string& schedule)
{
    design.plan.schedule = schedule;
    if (!scheduleTraits(schedule).allowsWeightStash())
        design.training.weightStash = false;
}

} // namespace

bool DesignModel::weightStashApplies() const
{
    return !design_.plan.schedule.empty() && scheduleTraits(design_.plan.schedule).allowsWeightStash();
}

DesignModel::DesignModel(QObject* parent) : DesignModel(discoverHostDevices(), parent) {}

DesignModel::DesignModel(HostDevices host, QObject* parent) : QObject(parent), host_(std::move(host))
{
    predictionError_ = tr("No design is open.");
}

int DesignModel::stageOfUnit(int unit) const
{
    for (const PlannedStage& stage : design_.plan.stages)
        if (unit >= stage.first && unit <= stage.last)
            return int(&stage - design_.plan.stages.data());
    return -1;
}

std::optional<Design> DesignModel::rejected(const QString& reason)
{
    emit editRejected(reason);
    return std::nullopt;
}

bool DesignModel::commit(const QString& text, const Edit& edit, int mergeId)
{
    if (pendingEdit_) {
        emit editRejected(
            tr("Wait until this CPU's profile of %1 is taken.").arg(QString::fromStdString(design_.plan.model)));
        return false;
    }
    profileRequested_ = false;
    std::optional<Design> after;
    try {
        after = edit(design_);
    } catch (const std::exception& error) {
        emit editRejected(QString::fromStdString(error.what()));
        return false;
    }
    if (!after) {
        if (profileRequested_)
            pendingEdit_ = PendingEdit{text, edit};
        return profileRequested_;
    }
    undoStack_.push(new DesignEditCommand(this, design_, std::move(*after), text, mergeId));
    return true;
}

bool DesignModel::addCpuCosts(Plan& plan, int threads)
{
    const std::string device = replicatedCostsDevice(threads);
    if (plan.costs.find(device) != nullptr)
        return true;
    const ProfileKey key{plan.model, device};
    const auto found = cpuProfiles_.find(key);
    if (found == cpuProfiles_.end()) {
        profileRequested_ = true;
        emit cpuProfileNeeded(QString::fromStdString(plan.model), plan.costs.microBatchSize, threads);
        return false;
    }
    DeviceCosts costs = found->second; // at cpuProfileSizes_[key], scaled to the plan's size
    costs.units = scaleUnitTimes(std::move(costs.units), cpuProfileSizes_.at(key), plan.costs.microBatchSize);
    plan.costs.devices.push_back(std::move(costs));
    return true;
}

std::optional<Design> DesignModel::replanned(Design design)
{
    Plan& plan = design.plan;
    requireEqualMicroBatches(plan.batch, plan.microBatches);
    std::vector<int> coreGroups; // the grouping of cores to keep (replicated stages), if any
    for (const PlanDeviceEntry& device : plan.devices)
        coreGroups.push_back(device.replicas);
    DeviceSet set = parseDeviceSet(plan.deviceSpec);
    resolveLocalGpus(set, host_.gpu); // a local GPU is planned with its catalogue entry's estimates
    plan.devices = planDevices(set, host_);
    const ScheduleTraits traits = scheduleTraits(plan.schedule);
    const bool keepGroups = std::any_of(coreGroups.begin(), coreGroups.end(), [](int r) { return r > 1; })
                            && std::accumulate(coreGroups.begin(), coreGroups.end(), 0) == int(plan.devices.size())
                            && replicableDevices(plan.devices) && !traits.replicated && !traits.interleaved;
    if (scheduleTraits(plan.schedule).interleaved) { // each device once per chunk
        plan.chunks = std::max(plan.chunks, kDefaultInterleavedChunks);
        plan.devices = interleavedDevices(plan.devices, plan.chunks);
    } else {
        plan.chunks = 1;
    }
    if (plan.costs.model != plan.model || plan.costs.units.empty())
        plan.costs = describeAnyModelCosts(plan.model, plan.microBatchSize());
    addCatalogEstimates(plan.costs, set);
    if (needsCpuProfile(plan.costs, set) || keepGroups) // a profile trains the units: can they train?
        if (const std::string why = whyNotTrainable(plan.model); !why.empty())
            return rejected(tr("This CPU cannot profile it: %1. Choose GPUs in the devices panel (for example "
                               "catalog:V100x4) to plan it.")
                                .arg(QString::fromStdString(why)));
    if (needsCpuProfile(plan.costs, set) && !addCpuCosts(plan, 1))
        return std::nullopt;
    if (keepGroups) {
        for (int replicas : coreGroups)
            if (replicas > 1 && !addCpuCosts(plan, replicas))
                return std::nullopt;
        plan.devices = replicatedDevices(plan.devices, coreGroups);
    }
    partitionPlanPredicted(plan);
    return design;
}

bool DesignModel::moveCut(int stage, int firstUnit, int dragId)
{
    const Partition& stages = design_.plan.stages;
    if (stage < 1 || stage >= stageCount())
        return false;
    if (firstUnit == stages[size_t(stage)].first)
        return true; // already there: nothing to undo
    return commit(
        tr("Move cut %1").arg(stage),
        [=, this](Design design) -> std::optional<Design> {
            Partition& cut = design.plan.stages;
            if (cutsAreFixed(design.plan))
                return rejected(
                    tr("The %1 schedule has no cuts to move.").arg(QString::fromStdString(design.plan.schedule)));
            if (firstUnit <= cut[size_t(stage) - 1].first || firstUnit > cut[size_t(stage)].last)
                return rejected(tr("A cut moves between its neighbours: stage %1 would be empty.")
                                    .arg(firstUnit <= cut[size_t(stage) - 1].first ? stage - 1 : stage));
            cut[size_t(stage) - 1].last = firstUnit - 1;
            cut[size_t(stage)].first = firstUnit;
            return design;
        },
        dragId);
}

bool DesignModel::mergeStages(int stage)
{
    if (stage < 0 || stage + 1 >= stageCount())
        return false;
    return commit(
        tr("Merge stages %1 and %2").arg(stage).arg(stage + 1), [=, this](Design design) -> std::optional<Design> {
            Partition& stages = design.plan.stages;
            if (cutsAreFixed(design.plan))
                return rejected(
                    tr("The %1 schedule has no stages to merge.").arg(QString::fromStdString(design.plan.schedule)));
            stages[size_t(stage)].last = stages[size_t(stage) + 1].last;
            stages.erase(stages.begin() + stage + 1);
            placeStages(design.plan); // (fewer stages: their cores always suffice)
            return design;
        });
}

bool DesignModel::splitStage(int stage, int firstUnitOfNew)
{
    if (stage < 0 || stage >= stageCount())
        return false;
    return commit(tr("Split stage %1").arg(stage), [=, this](Design design) -> std::optional<Design> {
        Partition& stages = design.plan.stages;
        if (cutsAreFixed(design.plan))
            return rejected(
                tr("The %1 schedule has no stages to split.").arg(QString::fromStdString(design.plan.schedule)));
        if (stages.size() >= design.plan.devices.size())
            return rejected(
                tr("All %1 devices hold a stage: add a device to split one.").arg(design.plan.devices.size()));
        PlannedStage& cut = stages[size_t(stage)];
        if (firstUnitOfNew <= cut.first || firstUnitOfNew > cut.last)
            return rejected(tr("Stage %1 holds units %2 to %3: it splits before one of units %4 to %3.")
                                .arg(stage)
                                .arg(cut.first)
                                .arg(cut.last)
                                .arg(cut.first + 1));
        const PlannedStage second{firstUnitOfNew, cut.last, 0};
        cut.last = firstUnitOfNew - 1;
        stages.insert(stages.begin() + stage + 1, second);
        placeStages(design.plan); // (a device without a stage was free: its core takes the new one)
        return design;
    });
}

bool DesignModel::autoMerge()
{
    return commit(tr("Auto-merge (%1)").arg(QString::fromStdString(design_.plan.partitioner)),
                  [this](Design design) { return replanned(std::move(design)); });
}

bool DesignModel::setStageRecompute(int stage, bool recompute)
{
    if (stage < 0 || stage >= stageCount())
        return false;
    if (design_.plan.stages[size_t(stage)].recompute == recompute)
        return true;
    const QString text =
        recompute ? tr("Recompute stage %1").arg(stage) : tr("Keep activations of stage %1").arg(stage);
    return commit(text, [=](Design design) -> std::optional<Design> {
        Partition& stages = design.plan.stages;
        stages[size_t(stage)].recompute = recompute;
        design.plan.recompute =
            std::all_of(stages.begin(), stages.end(), [](const PlannedStage& s) { return s.recompute; });
        return design;
    });
}

bool DesignModel::setStageReplicas(int stage, int replicas)
{
    if (stage < 0 || stage >= stageCount() || replicas < 1)
        return false;
    if (design_.plan.stages[size_t(stage)].replicas == replicas)
        return true;
    return commit(replicas == 1 ? tr("Stage %1 on one core").arg(stage)
                                : tr("Stage %1 on %2 cores").arg(stage).arg(replicas),
                  [=, this](Design design) -> std::optional<Design> {
                      Plan& plan = design.plan;
                      const ScheduleTraits traits = scheduleTraits(plan.schedule);
                      if (traits.replicated || traits.interleaved)
                          return rejected(tr("The %1 schedule runs one stage per device: it replicates no stage.")
                                              .arg(QString::fromStdString(plan.schedule)));
                      const std::vector<PlanDeviceEntry> cores = physicalDevices(plan);
                      if (!replicableDevices(cores))
                          return rejected(tr("Stages are replicated on CPU cores only; replicating a stage over "
                                             "GPUs is not available yet."));
                      plan.stages[size_t(stage)].replicas = replicas;
                      int used = 0;
                      for (const PlannedStage& s : plan.stages)
                          used += s.replicas;
                      if (!placeStages(plan))
                          return rejected(tr("Stage %1 on %2 cores: the stages would need %3 of the %4 cores.")
                                              .arg(stage)
                                              .arg(replicas)
                                              .arg(used)
                                              .arg(cores.size()));
                      if (replicas > 1 && !addCpuCosts(plan, replicas))
                          return std::nullopt; // (pending until the profile on that many cores is in)
                      return design;
                  });
}

bool DesignModel::replanWith(const QString& text, const std::function<void(Design&)>& change)
{
    return commit(text, [=, this](Design design) {
        change(design);
        return replanned(std::move(design));
    });
}

// A language model trains on text and an image model on images: when the
// data set does not fit the new model, it becomes the new model's default.
bool DesignModel::setModel(const QString& model)
{
    return model.toStdString() == design_.plan.model || replanWith(tr("Model %1").arg(model), [=](Design& design) {
               design.plan.model = model.toStdString();
               const bool language = isLanguageModel(design.plan.model);
               if (language != isTextDatasetSpec(design.training.dataset))
                   design.training.dataset = defaultDatasetSpec(language);
           });
}

bool DesignModel::isLanguageModel(const std::string& model)
{
    try {
        return outlineAnyModel(model).tokens > 0;
    } catch (const std::exception&) {
        return false; // (an unknown model: the plan reports it)
    }
}

bool DesignModel::setDevices(const QString& deviceSpec)
{
    return deviceSpec.toStdString() == design_.plan.deviceSpec
           || replanWith(tr("Devices %1").arg(deviceSpec),
                         [=](Design& design) { design.plan.deviceSpec = deviceSpec.toStdString(); });
}

bool DesignModel::setSchedule(const QString& schedule, std::optional<bool> recompute,
                              std::optional<std::vector<int>> coreGroups)
{
    std::vector<int> groups; // the plan's own
    for (const PlanDeviceEntry& device : design_.plan.devices)
        groups.push_back(device.replicas);
    const bool sameRecompute = !recompute || *recompute == design_.plan.recompute;
    const bool sameGroups = !coreGroups || *coreGroups == groups;
    const bool replicated =
        coreGroups && std::any_of(coreGroups->begin(), coreGroups->end(), [](int r) { return r > 1; });
    const QString text = recompute && *recompute ? tr("Schedule %1 with recomputation").arg(schedule)
                         : replicated            ? tr("Schedule %1 with replicated stages").arg(schedule)
                                                 : tr("Schedule %1").arg(schedule);
    return (schedule.toStdString() == design_.plan.schedule && sameRecompute && sameGroups)
           || replanWith(text, [=](Design& design) {
                  changeSchedule(design, schedule.toStdString());
                  if (recompute)
                      design.plan.recompute = *recompute;
                  if (coreGroups) // (replanned() groups the cores as these entries do)
                      design.plan.devices = replicatedDevices(physicalDevices(design.plan), *coreGroups);
              });
}

bool DesignModel::applySuggestion()
{
    if (!predictionError_.isEmpty() || !advice_.suggestion) {
        emit editRejected(tr("No other schedule is predicted clearly faster than %1.")
                              .arg(QString::fromStdString(design_.plan.schedule)));
        return false;
    }
    const std::string schedule = advice_.suggestion->schedule;
    return replanWith(tr("Suggested schedule %1").arg(QString::fromStdString(schedule)),
                      [=](Design& design) { changeSchedule(design, schedule); });
}

bool DesignModel::setPartitioner(const QString& partitioner)
{
    return partitioner.toStdString() == design_.plan.partitioner
           || replanWith(tr("Partitioner %1").arg(partitioner),
                         [=](Design& design) { design.plan.partitioner = partitioner.toStdString(); });
}

bool DesignModel::setBatch(qint64 batch, qint64 microBatches)
{
    return (batch == design_.plan.batch && microBatches == design_.plan.microBatches)
           || replanWith(tr("Batch %1, %2 micro-batches").arg(batch).arg(microBatches), [=](Design& design) {
                  design.plan.batch = batch;
                  design.plan.microBatches = microBatches;
              });
}

// The optimizer's state changes the memory per stage, hence the re-plan.
bool DesignModel::setOptimizer(const QString& optimizer)
{
    return optimizer.toStdString() == design_.plan.optimizer
           || replanWith(tr("Optimizer %1").arg(optimizer), [=](Design& design) {
                  design.plan.optimizer = optimizer.toStdString();
                  design.training.learningRate = defaultLearningRate(design.plan.optimizer);
              });
}

bool DesignModel::setTrainingSettings(const TrainingSettings& settings)
{
    return commit(tr("Training settings"), [=, this](Design design) -> std::optional<Design> {
        if (!(settings.learningRate > 0.0))
            return rejected(tr("The learning rate must be positive."));
        if (settings.epochs <= 0 && settings.steps <= 0)
            return rejected(tr("Train for at least one epoch or one step."));
        if (settings.weightStash && !scheduleTraits(design.plan.schedule).allowsWeightStash())
            return rejected(tr("Weight stashing applies to the lpm-async schedule only."));
        if (settings.clipGradNorm > 0.0 && !scheduleTraits(design.plan.schedule).allowsClipping(design.plan.chunks))
            return rejected(tr("Gradient clipping is not available under %1 yet: it runs under sequential, dp and "
                               "every exact schedule with one chunk per stage.")
                                .arg(QString::fromStdString(design.plan.schedule)));
        design.training = settings;
        return design;
    });
}

void DesignModel::resetDesign(const Design& design)
{
    pendingEdit_.reset();
    for (const DeviceCosts& costs : design.plan.costs.devices)
        if (costs.device == "cpu" || costs.device.starts_with("cpu*")) {
            cpuProfiles_[{design.plan.model, costs.device}] = costs;
            cpuProfileSizes_[{design.plan.model, costs.device}] = design.plan.costs.microBatchSize;
        }
    undoStack_.clear();
    applyDesign(design);
    undoStack_.setClean();
}

void DesignModel::provideCpuCosts(const QString& model, qint64 microBatchSize, const DeviceCosts& costs)
{
    cpuProfiles_[{model.toStdString(), costs.device}] = costs;
    cpuProfileSizes_[{model.toStdString(), costs.device}] = microBatchSize;
    if (!pendingEdit_)
        return;
    const PendingEdit pending = std::move(*pendingEdit_);
    pendingEdit_.reset();
    commit(pending.text, pending.edit);
}

void DesignModel::reprofileCpu()
{
    std::erase_if(cpuProfiles_, [&](const auto& entry) { return entry.first.first == design_.plan.model; });
    commit(tr("Profile again on this CPU"), [this](Design design) {
        std::erase_if(design.plan.costs.devices, [](const DeviceCosts& costs) {
            return costs.device == "cpu" || costs.device.starts_with("cpu*");
        });
        return replanned(std::move(design));
    });
}

bool DesignModel::calibrateOn(const Plan& ran, const Timeline& measured)
{
    return commit(tr("Calibrate Costs on the Last Run"), [=, this](Design design) -> std::optional<Design> {
        const Plan& plan = design.plan;
        if (plan.model != ran.model || plan.deviceSpec != ran.deviceSpec || plan.schedule != ran.schedule
            || plan.batch != ran.batch || plan.microBatches != ran.microBatches || plan.stages != ran.stages)
            return rejected(tr("The plan has changed since the last run; run it, then calibrate."));
        design.plan.costs = calibrateCosts(ran, measured, firstWarmMiniBatch(measured));
        return design;
    });
}

void DesignModel::applyDesign(const Design& design)
{
    const bool modelChanged = design.plan.model != design_.plan.model || outline_.units.empty();
    design_ = design;
    if (modelChanged) {
        try {
            outline_ = outlineAnyModel(design_.plan.model);
        } catch (const std::exception&) {
            outline_ = {}; // the prediction below names the unknown model
        }
        unitLabels_ = labelUnits(outline_);
    }
    refreshPrediction();
    emit designChanged();
}

const std::optional<ScheduleSuggestion>& DesignModel::fastestOtherSchedule()
{
    // The key: the design file's text without the cut and the training settings.
    // (Not planToJson: plan_json.h reaches the core's tensor headers.)
    Design uncut;
    uncut.plan = design_.plan;
    uncut.plan.stages.clear();
    std::string key = designToJson(uncut);
    if (key != fastestOtherKey_) {
        fastestOther_ = predictFastestOtherSchedule(design_.plan);
        fastestOtherKey_ = std::move(key);
    }
    return fastestOther_;
}

void DesignModel::refreshPrediction()
{
    try {
        validatePlan(design_.plan);
        prediction_ = predictPlan(design_.plan, 2);
        advice_.ceiling = estimateSpeedupCeiling(design_.plan);
        advice_.bottleneck = describeBottleneck(design_.plan, advice_.ceiling, unitLabels_);
        advice_.suggestion = suggestSchedule(fastestOtherSchedule(), prediction_.iterationSeconds);
        predictionError_.clear();
    } catch (const std::exception& error) {
        prediction_ = {};
        advice_ = {};
        predictionError_ = QString::fromStdString(error.what());
    }
}

} // namespace lpm::gui
