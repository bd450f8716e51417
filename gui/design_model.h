// The design being edited: a Design value (plan and training settings), the
// outline of its model and the prediction of its plan with its advice (speedup
// ceiling, bottleneck, suggested schedule: sim/plan_advice.h), recomputed
// after every change. Every edit is a DesignEditCommand on the undo stack holding the
// whole Design before and after, so undo restores it exactly.
//
// Costs: catalogue devices are estimated at once; CPU stages need a profile of
// the model on one core (and a stage replicated on r cores one on r cores,
// "cpu*r"), which the model does not take itself (it would block the
// window): it emits cpuProfileNeeded, keeps the edit pending, and finishes
// it when provideCpuCosts brings the times. Profiles are kept per model and
// costs device and rescaled linearly to other micro-batch sizes
// (scaleUnitTimes).
//
// Stage replication (plan.h) on CPU cores: setStageReplicas groups the cores,
// and every re-plan keeps the grouping of the plan's devices while the
// cores still add up (a change of devices or schedule that takes no
// replicas drops it).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include <QObject>
#include <QString>
#include <QUndoStack>

#include "devices/host_devices.h"
#include "nn/model_outline.h"
#include "sim/plan_advice.h"
#include "sim/prediction.h"
#include "train/design.h"

namespace lpm::gui {

class DesignModel : public QObject {
    Q_OBJECT

public:
    explicit DesignModel(QObject* parent = nullptr); // this machine's devices
    // With the devices given (tests: a machine with GPUs it does not have).
    explicit DesignModel(HostDevices host, QObject* parent = nullptr);

    const Design& design() const { return design_; }
    const Plan& plan() const { return design_.plan; }
    // Whether the plan's schedule takes weight stashing (false before a design is loaded).
    bool weightStashApplies() const;
    // Whether `model` is a language model (trains on text); false for an unknown name.
    static bool isLanguageModel(const std::string& model);
    const ModelOutline& outline() const { return outline_; }
    // The prediction of the current plan; meaningless when predictionError() is set.
    const Prediction& prediction() const { return prediction_; }
    const QString& predictionError() const { return predictionError_; }
    // The plan's speedup ceiling, its bottleneck and any clearly faster schedule;
    // meaningless when predictionError() is set.
    const PlanAdvice& advice() const { return advice_; }
    // One label per unit of the model (labelUnits), as the advice names them.
    const std::vector<std::string>& unitLabels() const { return unitLabels_; }
    // True while an edit waits for a CPU profile (cpuProfileNeeded was emitted).
    bool profilePending() const { return pendingEdit_.has_value(); }
    QUndoStack* undoStack() { return &undoStack_; }

    int stageCount() const { return int(design_.plan.stages.size()); }
    int unitCount() const { return int(outline_.units.size()); }
    int stageOfUnit(int unit) const;
    const HostDevices& host() const { return host_; }

    // Partition edits. Each is one undoable command; each returns false and
    // changes nothing when it is not possible (and says why in editRejected).
    // moveCut: stage (≥ 1) now begins at firstUnit; the stage before ends just
    // before it. dragId: consecutive moves with the same non-zero id (one drag)
    // become one undo step.
    bool moveCut(int stage, int firstUnit, int dragId = 0);
    bool mergeStages(int stage);                    // stage and stage + 1 become one
    bool splitStage(int stage, int firstUnitOfNew); // on the next unused device
    bool autoMerge();                               // the plan's partitioner cuts the model anew
    // Activation recomputation on one stage (PlannedStage::recompute); the
    // plan asks it of the stages an Auto-merge makes when every stage has it.
    bool setStageRecompute(int stage, bool recompute);
    // Stage replication: the stage runs on `replicas` CPU cores (the cores
    // after the stages' own stay single, for later splits). Rejected for
    // devices other than CPU cores, schedules without replicas (dp,
    // interleaved) and more cores than the design has.
    bool setStageReplicas(int stage, int replicas);
    // The advice's suggested schedule, re-partitioned as setSchedule does (one
    // undoable command); false, with editRejected, when there is none.
    bool applySuggestion();

    // Settings edits; those that change the devices or the model re-partition.
    // A data set that does not fit the new model (text for a language model,
    // images for the others) becomes its default, in the same edit.
    bool setModel(const QString& model);
    bool setDevices(const QString& deviceSpec);
    // With `recompute` given, every stage of the new plan recomputes or none
    // does (the comparison table's rows); else the plan's choice stays. With
    // `coreGroups` given (a comparison row's: the cores of each device entry),
    // the cores are grouped so; else the plan's grouping stays.
    bool setSchedule(const QString& schedule, std::optional<bool> recompute = std::nullopt,
                     std::optional<std::vector<int>> coreGroups = std::nullopt);
    bool setPartitioner(const QString& partitioner);
    bool setBatch(qint64 batch, qint64 microBatches);
    bool setOptimizer(const QString& optimizer);
    bool setTrainingSettings(const TrainingSettings& settings);

    // Replaces the design (New, Open): clears the undo stack. Its CPU costs,
    // if any, are kept for later edits.
    void resetDesign(const Design& design);
    // A profile taken elsewhere for (model, microBatchSize); finishes the pending edit.
    void provideCpuCosts(const QString& model, qint64 microBatchSize, const DeviceCosts& costs);
    // Forgets the CPU profile of the current model and asks for a new one.
    void reprofileCpu();
    // Replaces the plan's costs by those calibrated on `measured`, the timeline of a run of `ran`
    // (sim/calibration.h), keeping the cuts. Rejected (editRejected, false) when the design's plan
    // is no longer the one that ran, or the timeline cannot calibrate it.
    bool calibrateOn(const Plan& ran, const Timeline& measured);

signals:
    void designChanged(); // after every change, undo and redo included
    void cpuProfileNeeded(const QString& model, qint64 microBatchSize, int threads); // on `threads` cores
    void editRejected(const QString& reason);

private:
    friend class DesignEditCommand;
    using Edit = std::function<std::optional<Design>(Design)>; // empty: rejected (reason emitted)

    // Runs an edit on a copy of the design and pushes the result; when it
    // needs a CPU profile, keeps it pending and asks for one.
    bool commit(const QString& text, const Edit& edit, int mergeId = 0);
    // The plan with fresh devices and costs for its settings, re-partitioned;
    // nullopt when CPU costs are missing (profile requested) or on error (emitted).
    std::optional<Design> replanned(Design design);
    std::optional<Design> rejected(const QString& reason);
    // Adds the costs of `threads` CPU cores to `plan` from the profiles kept;
    // false (a profile requested) when there is none for its model yet.
    bool addCpuCosts(Plan& plan, int threads);
    // commit() of `change` followed by replanned(): settings that need new devices, costs or cuts.
    bool replanWith(const QString& text, const std::function<void(Design&)>& change);
    void applyDesign(const Design& design); // from the undo commands
    void refreshPrediction();
    // The plan's fastest other schedule (predictFastestOtherSchedule), kept while
    // only the cut changes: a drag re-predicts on every move, and the candidates
    // are each cut anew, whatever this plan's cut.
    const std::optional<ScheduleSuggestion>& fastestOtherSchedule();

    Design design_;
    ModelOutline outline_;
    Prediction prediction_;
    PlanAdvice advice_;
    std::vector<std::string> unitLabels_;
    std::optional<ScheduleSuggestion> fastestOther_;
    std::string fastestOtherKey_; // designToJson of the plan it was predicted for, without stages
    QString predictionError_;
    HostDevices host_;
    QUndoStack undoStack_;
    using ProfileKey = std::pair<std::string, std::string>; // (model, costs device: "cpu", "cpu*2")
    std::map<ProfileKey, DeviceCosts> cpuProfiles_;         // at cpuProfileSizes_[key]
    std::map<ProfileKey, int64_t> cpuProfileSizes_;
    struct PendingEdit {
        QString text;
        Edit edit;
    };
    std::optional<PendingEdit> pendingEdit_;
    bool profileRequested_ = false; // set by replanned() when it asked for a profile
};

} // namespace lpm::gui
