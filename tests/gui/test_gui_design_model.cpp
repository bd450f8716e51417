// The design model and the views that edit it, without a visible window:
// moving, merging and splitting cuts give the expected plan, undo restores
// the design exactly, invalid edits change nothing, and CPU stages wait for a
// profile. Then the network view's handles and the devices panel drive the
// same edits.
#include <cmath>

#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>
#include <QTreeView>

#include "design_model.h"
#include "device_tree_model.h"
#include "devices/device_catalog.h"
#include "devices_panel.h"
#include "gui_test_support.h"
#include "network_items.h"
#include "network_view.h"
#include "schedule/schedule.h"
#include "sim/plan_advice.h"
#include "sim/simulator.h"
#include "tensor/error.h"
#include "train/design.h"

namespace lpm::gui {

using testing::catalogDesign;

class DesignModelTest : public QObject {
    Q_OBJECT

private:
    std::string text(const DesignModel& model) { return designToJson(model.design()); }

    // A pretend host: 2 CPU cores and `gpus` H100s, with peer access between
    // every two when `peers`.
    static HostDevices hostWithH100s(int gpus, bool peers)
    {
        HostDevices host;
        host.cpuCores = 2;
        host.cpuName = "test CPU";
        host.memoryBytes = int64_t(16) << 30;
        for (int i = 0; i < gpus; ++i)
            host.gpu.gpus.push_back(GpuDevice{i, "NVIDIA H100 80GB HBM3", int64_t(80) << 30, 132, 9, 0, 1980000,
                                              "0000:1" + std::to_string(8 + i) + ":00.0"});
        for (int i = 0; i < gpus; ++i) {
            host.gpu.peerAccess.emplace_back(size_t(gpus), peers);
            host.gpu.peerAccess.back()[size_t(i)] = false;
        }
        host.gpu.status = std::to_string(gpus) + (gpus == 1 ? " GPU" : " GPUs");
        return host;
    }

private Q_SLOTS:
    void moveCutChangesTheTwoStagesAndUndoRestores()
    {
        DesignModel model;
        model.resetDesign(catalogDesign());
        const std::string before = text(model);
        const Partition stages = model.plan().stages;
        QVERIFY(stages.size() >= 2);
        QSignalSpy changed(&model, &DesignModel::designChanged);
        const int newFirst = stages[1].first + 1;
        QVERIFY(newFirst <= stages[1].last);
        QVERIFY(model.moveCut(1, newFirst));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(model.plan().stages[0].last, newFirst - 1);
        QCOMPARE(model.plan().stages[1].first, newFirst);
        QCOMPARE(model.plan().stages[1].last, stages[1].last);
        QCOMPARE(model.undoStack()->count(), 1);
        QVERIFY(model.predictionError().isEmpty());
        const std::string after = text(model);
        model.undoStack()->undo();
        QCOMPARE(changed.count(), 2);
        QCOMPARE(text(model), before);
        model.undoStack()->redo();
        QCOMPARE(text(model), after);
    }

    void mergeAndSplitGiveTheExpectedStages()
    {
        DesignModel model;
        model.resetDesign(catalogDesign());
        const std::string before = text(model);
        const Partition stages = model.plan().stages;
        const int count = int(stages.size());
        QVERIFY(model.mergeStages(0));
        QCOMPARE(model.stageCount(), count - 1);
        QCOMPARE(model.plan().stages[0].first, stages[0].first);
        QCOMPARE(model.plan().stages[0].last, stages[1].last);
        for (int k = 0; k < model.stageCount(); ++k)
            QCOMPARE(model.plan().stages[size_t(k)].device, k);
        const std::string merged = text(model);
        // Split the merged stage where the cut was: the original partition again.
        QVERIFY(model.splitStage(0, stages[1].first));
        QCOMPARE(model.stageCount(), count);
        for (int k = 0; k < count; ++k) {
            QCOMPARE(model.plan().stages[size_t(k)].first, stages[size_t(k)].first);
            QCOMPARE(model.plan().stages[size_t(k)].last, stages[size_t(k)].last);
        }
        model.undoStack()->undo();
        QCOMPARE(text(model), merged);
        model.undoStack()->undo();
        QCOMPARE(text(model), before);
    }

    void invalidEditsAreRefusedAndChangeNothing()
    {
        DesignModel model;
        model.resetDesign(catalogDesign("vgg-mini", "catalog:H100x2"));
        const std::string before = text(model);
        QSignalSpy rejected(&model, &DesignModel::editRejected);
        QSignalSpy changed(&model, &DesignModel::designChanged);
        const Partition stages = model.plan().stages;
        QCOMPARE(int(stages.size()), 2);
        QVERIFY(!model.moveCut(1, stages[0].first));        // stage 0 would be empty
        QVERIFY(!model.moveCut(1, stages[1].last + 1));     // stage 1 would be empty
        QVERIFY(!model.splitStage(0, stages[0].first + 1)); // both devices hold a stage
        QVERIFY(!model.moveCut(5, 3));                      // no such cut
        QCOMPARE(rejected.count(), 3);
        QVERIFY(rejected.at(2).at(0).toString().contains("add a device"));
        QCOMPARE(changed.count(), 0);
        QCOMPARE(model.undoStack()->count(), 0);
        QCOMPARE(text(model), before);
    }

    void oneDragIsOneUndoStep()
    {
        DesignModel model;
        model.resetDesign(catalogDesign());
        const std::string before = text(model);
        const PlannedStage stage = model.plan().stages[1];
        QVERIFY(stage.last - stage.first >= 2);
        QVERIFY(model.moveCut(1, stage.first + 1, 7));
        QVERIFY(model.moveCut(1, stage.first + 2, 7));
        QCOMPARE(model.undoStack()->count(), 1);
        QCOMPARE(model.plan().stages[1].first, stage.first + 2);
        QVERIFY(model.moveCut(1, stage.first + 1, 8)); // a second drag
        QCOMPARE(model.undoStack()->count(), 2);
        model.undoStack()->undo();
        model.undoStack()->undo();
        QCOMPARE(text(model), before);
    }

    void autoMergeRestoresThePartitionersPlan()
    {
        DesignModel model;
        const Design design = catalogDesign();
        model.resetDesign(design);
        QVERIFY(model.mergeStages(1));
        QVERIFY(model.autoMerge());
        QCOMPARE(text(model), designToJson(design));
        QCOMPARE(model.undoStack()->count(), 2);
    }

    void interleavedPutsTwoChunksOnEveryDeviceAndBack()
    {
        DesignModel model;
        model.resetDesign(catalogDesign("vgg-mini", "catalog:H100x2"));
        const std::vector<PlanDeviceEntry> devices = model.plan().devices;
        QVERIFY(model.setSchedule("interleaved"));
        QCOMPARE(model.plan().chunks, 2);
        QCOMPARE(model.plan().devices.size(), size_t(4));
        QCOMPARE(model.stageCount(), 4);
        QCOMPARE(QString::fromStdString(model.plan().devices[3].label),
                 QString::fromStdString(devices[1].label + "/1"));
        QVERIFY(model.predictionError().isEmpty());
        QVERIFY(model.setSchedule("1f1b"));
        QCOMPARE(model.plan().chunks, 1);
        QCOMPARE(model.plan().devices.size(), devices.size());
        model.undoStack()->undo();
        QCOMPARE(model.plan().chunks, 2);
    }

    void cpuStagesWaitForAProfile()
    {
        DesignModel model;
        model.resetDesign(catalogDesign("cnn", "catalog:A100-80x2"));
        const std::string before = text(model);
        QSignalSpy needed(&model, &DesignModel::cpuProfileNeeded);
        QVERIFY(model.setDevices("cpu:2"));
        QCOMPARE(needed.count(), 1);
        QCOMPARE(needed.at(0).at(0).toString(), QString("cnn"));
        QCOMPARE(needed.at(0).at(1).toLongLong(), qint64(8)); // 64 / 8 micro-batches
        QVERIFY(model.profilePending());
        QCOMPARE(text(model), before); // nothing changed yet
        QSignalSpy rejected(&model, &DesignModel::editRejected);
        QVERIFY(!model.mergeStages(0)); // edits wait for the profile
        QCOMPARE(rejected.count(), 1);
        model.provideCpuCosts("cnn", 8, testing::fakeCpuCosts(model.unitCount()));
        QVERIFY(!model.profilePending());
        QCOMPARE(QString::fromStdString(model.plan().deviceSpec), QString("cpu:2"));
        QCOMPARE(model.plan().devices[0].costsDevice, std::string("cpu"));
        QVERIFY(model.predictionError().isEmpty());
        QCOMPARE(model.stageCount(), 2);
        QCOMPARE(model.undoStack()->count(), 1);
        model.undoStack()->undo();
        QCOMPARE(text(model), before);
        // The profile is kept: going back to the CPU needs no new one.
        QVERIFY(model.setDevices("cpu:2"));
        QCOMPARE(needed.count(), 1);
        QVERIFY(!model.profilePending());
    }

    // A stage on two cores: its profile on two cores is taken first, the
    // cores are grouped, re-plans keep the grouping, and undo restores.
    void aStageReplicatedOnTwoCoresWaitsForItsProfileAndUndoes()
    {
        DesignModel model;
        model.resetDesign(catalogDesign("cnn", "catalog:A100-80x2"));
        QVERIFY(model.setDevices("cpu:2"));
        model.provideCpuCosts("cnn", 8, testing::fakeCpuCosts(model.unitCount()));
        QVERIFY(model.mergeStages(0)); // one stage; the second core is free
        const std::string before = text(model);
        const double oneCore = model.prediction().iterationSeconds;
        QSignalSpy needed(&model, &DesignModel::cpuProfileNeeded);
        QVERIFY(model.setStageReplicas(0, 2));
        QCOMPARE(needed.count(), 1);
        QCOMPARE(needed.at(0).at(2).toInt(), 2);
        QCOMPARE(text(model), before); // waiting for the profile
        model.provideCpuCosts("cnn", 8, testing::fakeCpuCosts(model.unitCount(), 2, 1.8));
        QCOMPARE(model.plan().stages[0].replicas, 2);
        QCOMPARE(model.plan().devices.size(), size_t(1));
        QCOMPARE(model.plan().devices[0].label, std::string("cpu:0-1"));
        QVERIFY(model.predictionError().isEmpty());
        QVERIFY(model.prediction().iterationSeconds < 0.6 * oneCore); // 1.8 times faster units
        QSignalSpy rejected(&model, &DesignModel::editRejected);
        QVERIFY(!model.setStageReplicas(0, 3));
        QVERIFY(rejected.last().at(0).toString().contains("3 of the 2 cores"));
        QVERIFY(!model.splitStage(0, 3)); // no free core left
        QVERIFY(model.setBatch(128, 8));  // a re-plan keeps the grouping
        QCOMPARE(model.plan().stages.front().replicas, 2);
        QVERIFY(model.setSchedule("dp")); // dp replicates no stage: its devices are the cores again
        QCOMPARE(model.plan().devices.size(), size_t(2));
        QVERIFY(!model.setStageReplicas(0, 2));
        QVERIFY(rejected.last().at(0).toString().contains("dp"));
        for (int i = 0; i < 3; ++i)
            model.undoStack()->undo();
        QCOMPARE(text(model), before);
        QVERIFY(model.setStageReplicas(0, 2)); // the profile on two cores is kept
        QCOMPARE(needed.count(), 1);

        DesignModel gpus;
        gpus.resetDesign(catalogDesign("cnn", "catalog:A100-80x2"));
        QVERIFY(gpus.mergeStages(0));
        QSignalSpy refused(&gpus, &DesignModel::editRejected);
        QVERIFY(!gpus.setStageReplicas(0, 2));
        QVERIFY(refused.last().at(0).toString().contains("not available yet"));
    }

    // A model's CPU profile is kept at the micro-batch size it was taken at and
    // scaled linearly to the plan's when the model comes back (cnn: profiled at
    // 8 samples, planned at 16 after the batch doubled under mlp).
    // A language model trains on text, the others on images: changing the
    // model changes a data set that no longer fits, in the same undoable edit,
    // and keeps one that does.
    void changingTheModelKeepsTheDataSetFitting()
    {
        DesignModel model;
        model.resetDesign(catalogDesign("mlp", "catalog:H100x2", "1f1b"));
        QCOMPARE(model.design().training.dataset, std::string("synthetic"));
        QVERIFY(model.setModel("gpt-mini"));
        QCOMPARE(model.design().training.dataset, std::string("text"));
        TrainingSettings settings = model.design().training;
        settings.dataset = "text:/tmp/book.txt";
        QVERIFY(model.setTrainingSettings(settings));
        QVERIFY(model.setModel("gpt2-small"));
        QCOMPARE(model.design().training.dataset, std::string("text:/tmp/book.txt"));
        QVERIFY(model.setModel("cnn"));
        QCOMPARE(model.design().training.dataset, std::string("fashion-mnist"));
        model.undoStack()->undo();
        QCOMPARE(model.plan().model, std::string("gpt2-small"));
        QCOMPARE(model.design().training.dataset, std::string("text:/tmp/book.txt"));
        QVERIFY(DesignModel::isLanguageModel("gpt-mini"));
        QVERIFY(!DesignModel::isLanguageModel("resnet-mini"));
        QVERIFY(!DesignModel::isLanguageModel("no-such-model"));
    }

    void aKeptCpuProfileIsScaledToTheMicroBatch()
    {
        DesignModel model;
        model.resetDesign(catalogDesign("cnn", "catalog:A100-80x2"));
        QVERIFY(model.setDevices("cpu:2"));
        const int cnnUnits = model.unitCount();
        model.provideCpuCosts("cnn", 8, testing::fakeCpuCosts(cnnUnits));
        QVERIFY(model.setModel("mlp"));
        model.provideCpuCosts("mlp", 8, testing::fakeCpuCosts(int(outlineModel("mlp").units.size())));
        QCOMPARE(model.plan().model, std::string("mlp"));
        QVERIFY(model.setBatch(128, 8));
        QSignalSpy needed(&model, &DesignModel::cpuProfileNeeded);
        QVERIFY(model.setModel("cnn"));
        QCOMPARE(needed.count(), 0);
        const ModelCosts& costs = model.plan().costs;
        QCOMPARE(costs.microBatchSize, int64_t(16));
        const std::vector<UnitTimes>& cpu = costs.at("cpu").units;
        QCOMPARE(int(cpu.size()), cnnUnits);
        for (const UnitTimes& unit : cpu) {
            QCOMPARE(unit.forwardSeconds, 2e-3); // fakeCpuCosts' 1 ms and 2 ms, doubled
            QCOMPARE(unit.backwardSeconds, 4e-3);
        }
        QVERIFY(model.predictionError().isEmpty());
    }

    void calibrationOnARunScalesItsStagesAndUndoRestores()
    {
        DesignModel model;
        model.resetDesign(catalogDesign("cnn", "catalog:A100-80x2"));
        QVERIFY(model.setDevices("cpu:2"));
        model.provideCpuCosts("cnn", 8, testing::fakeCpuCosts(model.unitCount()));
        const Plan ran = model.plan();
        QCOMPARE(model.stageCount(), 2);
        const std::string before = text(model);
        // What the run measured: stage 0's forward 1.5 times the prediction, stage 1's backward 1.25 times.
        const std::vector<StageTimes> predicted = stageTimesFor(ran);
        std::vector<StageTimes> actual = predicted;
        actual[0].forward *= 1.5;
        actual[1].backward *= 1.25;
        const Timeline measured =
            simulateSchedule(buildSchedule(ran.schedule, 2, int(ran.microBatches), 3), actual).timeline;

        QVERIFY(model.calibrateOn(ran, measured));
        QCOMPARE(model.undoStack()->count(), 2);
        QVERIFY(model.predictionError().isEmpty());
        QCOMPARE(model.plan().stages, ran.stages); // the cuts stay
        const std::vector<StageTimes> calibrated = stageTimesFor(model.plan());
        QVERIFY(std::abs(calibrated[0].forward - actual[0].forward) < 1e-12);
        QVERIFY(std::abs(calibrated[1].backward - actual[1].backward) < 1e-12);
        QVERIFY(std::abs(calibrated[1].forward - predicted[1].forward) < 1e-12);
        model.undoStack()->undo();
        QCOMPARE(text(model), before);

        // Another plan than the one that ran is not calibrated on its timeline.
        QVERIFY(model.setSchedule("gpipe"));
        const std::string changed = text(model);
        QSignalSpy rejected(&model, &DesignModel::editRejected);
        QVERIFY(!model.calibrateOn(ran, measured));
        QCOMPARE(rejected.count(), 1);
        QVERIFY(rejected.at(0).at(0).toString().contains("changed since the last run"));
        QCOMPARE(text(model), changed);
    }

    // The advice after every kind of edit is what advisePlan gives for the
    // plan and prediction at hand (the model keeps the other schedules'
    // predictions while only the cut changes, and must not show stale ones).
    void adviceFollowsEveryEdit()
    {
        DesignModel model;
        model.resetDesign(catalogDesign("mlp", "catalog:H100x4", "1f1b"));
        auto expectFresh = [&model](const char* after) {
            const PlanAdvice fresh = advisePlan(model.plan(), model.prediction(), model.unitLabels());
            const PlanAdvice& shown = model.advice();
            QVERIFY2(model.predictionError().isEmpty(), after);
            QVERIFY2(shown.ceiling.speedup == fresh.ceiling.speedup, after);
            QVERIFY2(shown.bottleneck == fresh.bottleneck, after);
            QVERIFY2(shown.suggestion.has_value() == fresh.suggestion.has_value(), after);
            if (fresh.suggestion) {
                QVERIFY2(shown.suggestion->schedule == fresh.suggestion->schedule, after);
                QVERIFY2(shown.suggestion->iterationSeconds == fresh.suggestion->iterationSeconds, after);
            }
        };
        expectFresh("reset");
        // dp: one of mlp's units holds 73 % of the work, so its cut cannot pay.
        QVERIFY(model.advice().suggestion.has_value());
        QVERIFY(model.moveCut(1, model.plan().stages[1].first - 1));
        expectFresh("moveCut");
        QVERIFY(model.mergeStages(0));
        expectFresh("mergeStages");
        QVERIFY(model.setSchedule("dp"));
        expectFresh("setSchedule");
        QVERIFY(model.setBatch(128, 16));
        expectFresh("setBatch");
        model.undoStack()->undo();
        model.undoStack()->undo();
        expectFresh("undo");
        QCOMPARE(model.plan().schedule, std::string("1f1b"));
    }

    void networkViewHandlesMoveAndMergeCuts()
    {
        DesignModel model;
        model.resetDesign(catalogDesign());
        NetworkView view(&model);
        const int cuts = model.stageCount() - 1;
        QCOMPARE(view.handleCount(), cuts);
        CutHandle* handle = view.handle(0);
        const PlannedStage second = model.plan().stages[1];
        QCOMPARE(handle->gap(), second.first);
        QCOMPARE(view.gapAt(NetworkView::gapX(second.first + 1)), second.first + 1);
        view.dragHandle(handle, second.first + 1);
        view.dropHandle(handle, second.first + 1);
        QCOMPARE(model.plan().stages[1].first, second.first + 1);
        QCOMPARE(handle->gap(), second.first + 1);
        QCOMPARE(model.undoStack()->count(), 1);
        // Dropping the first cut on the left end merges stages 0 and 1.
        view.dragHandle(view.handle(0), 0);
        view.dropHandle(view.handle(0), 0);
        QTRY_COMPARE(model.stageCount(), cuts); // merged after the mouse event
        QCOMPARE(view.handleCount(), cuts - 1);
        QCOMPARE(model.undoStack()->count(), 2);
        model.undoStack()->undo();
        QCOMPARE(view.handleCount(), cuts);
    }

    void devicesPanelAddsCatalogueDevices()
    {
        DesignModel model;
        model.resetDesign(catalogDesign("cnn", "catalog:A100-80x2"));
        DevicesPanel panel(&model);
        panel.addCatalogDevices("H100", 2);
        QCOMPARE(QString::fromStdString(model.plan().deviceSpec), QString("catalog:A100-80x2,catalog:H100x2"));
        QCOMPARE(model.plan().devices.size(), size_t(4));
        model.undoStack()->undo();
        QCOMPARE(panel.deviceSpec(), QString("catalog:A100-80x2"));
    }

    // The tree view edits the design through its model: space on a row toggles
    // its box, as a click on it does; Remove drops the current catalogue row.
    void devicesPanelViewChecksAndRemovesRows()
    {
        DesignModel model;
        model.resetDesign(catalogDesign("cnn", "catalog:A100-80x2,catalog:H100x2"));
        DevicesPanel panel(&model);
        QTreeView* view = panel.deviceView();
        QCOMPARE(view->model(), panel.deviceTree());
        const QModelIndex catalogue = panel.deviceTree()->groupIndex(DeviceTreeModel::Catalogue);
        const QPersistentModelIndex h100 = panel.deviceTree()->index(1, 0, catalogue);
        QCOMPARE(h100.data().toString(), QString::fromUtf8("H100 × 2 (simulated)"));
        QVERIFY(view->isExpanded(catalogue));
        view->setCurrentIndex(h100);
        QTest::keyClick(view, Qt::Key_Space);
        QCOMPARE(QString::fromStdString(model.plan().deviceSpec), QString("catalog:A100-80x2"));
        QCOMPARE(h100.data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
        QTest::keyClick(view, Qt::Key_Space);
        QCOMPARE(QString::fromStdString(model.plan().deviceSpec), QString("catalog:A100-80x2,catalog:H100x2"));

        QPushButton* remove = nullptr;
        for (QPushButton* button : panel.findChildren<QPushButton*>())
            if (button->text() == "Remove")
                remove = button;
        QVERIFY(remove);
        view->setCurrentIndex(view->model()->index(0, 1, catalogue)); // the A100s' details
        remove->click();
        QCOMPARE(QString::fromStdString(model.plan().deviceSpec), QString("catalog:H100x2"));
        QCOMPARE(panel.deviceTree()->rowCount(catalogue), 1);
        view->setCurrentIndex(panel.deviceTree()->groupIndex(DeviceTreeModel::Machine));
        remove->click(); // not a catalogue row: nothing happens
        QCOMPARE(panel.deviceTree()->rowCount(catalogue), 1);
    }

    // On a machine with a GPU (pretended: this one may have none), checking
    // it plans stages on its streams with its catalogue entry's estimates,
    // and the session trains there; the panel follows the design back.
    void devicesPanelPutsStagesOnALocalGpu()
    {
        DesignModel model(hostWithH100s(1, false));
        model.resetDesign(catalogDesign("cnn", "catalog:A100-80x2"));
        DevicesPanel panel(&model);
        DeviceTreeModel* tree = panel.deviceTree();
        auto* stagesPerGpu = panel.findChild<QSpinBox*>("gpuStages");
        QVERIFY(stagesPerGpu);
        const QPersistentModelIndex gpu = tree->index(0, 0, tree->groupIndex(DeviceTreeModel::Gpus));
        const QPersistentModelIndex a100 = tree->index(0, 0, tree->groupIndex(DeviceTreeModel::Catalogue));
        QVERIFY(gpu.data().toString().contains("H100"));
        QVERIFY(tree->flags(gpu) & Qt::ItemIsUserCheckable);

        QVERIFY(tree->setData(gpu, Qt::Checked, Qt::CheckStateRole)); // as a click in the view does
        QCOMPARE(QString::fromStdString(model.plan().deviceSpec), QString("cuda:0x2,catalog:A100-80x2"));
        QVERIFY(tree->setData(a100, Qt::Unchecked, Qt::CheckStateRole));
        QCOMPARE(QString::fromStdString(model.plan().deviceSpec), QString("cuda:0x2"));
        stagesPerGpu->setValue(3);
        QCOMPARE(QString::fromStdString(model.plan().deviceSpec), QString("cuda:0x3"));
        QCOMPARE(model.plan().devices.size(), size_t(3));
        for (const PlanDeviceEntry& device : model.plan().devices) {
            QCOMPARE(device.costsDevice, std::string("H100"));
            QCOMPARE(device.memoryBytes, (int64_t(80) << 30) / 3); // one GPU's memory, shared by 3 stages
        }
        QVERIFY(model.predictionError().isEmpty());
        const SessionRequest request = sessionRequestFor(model.design());
        QCOMPARE(request.train.backend, std::string("cuda:0"));
        QCOMPARE(request.train.stages.size(), model.plan().stages.size());

        // Undo, and a design that names the GPU itself, move the boxes.
        model.undoStack()->undo();
        QCOMPARE(stagesPerGpu->value(), 2);
        QCOMPARE(panel.deviceSpec(), QString("cuda:0x2"));
        QVERIFY(model.setDevices("catalog:H100x2"));
        QCOMPARE(gpu.data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
        QVERIFY_THROWS_EXCEPTION(InvalidArgument, sessionRequestFor(model.design())); // catalogue: planning only
        QVERIFY(model.setDevices("cuda:0x4"));
        QCOMPARE(gpu.data(Qt::CheckStateRole).toInt(), int(Qt::Checked));
        QCOMPARE(stagesPerGpu->value(), 4);
    }

    // Two local GPUs checked: stages on each, a session that trains each
    // stage on its own GPU with the weights on the first, and the link
    // between the GPUs is their peer link only when they have peer access.
    void devicesPanelPutsStagesOnSeveralGpus()
    {
        for (const bool peers : {true, false}) {
            DesignModel model(hostWithH100s(2, peers));
            model.resetDesign(catalogDesign("cnn", "catalog:A100-80x2"));
            DevicesPanel panel(&model);
            DeviceTreeModel* tree = panel.deviceTree();
            auto* stagesPerGpu = panel.findChild<QSpinBox*>("gpuStages");
            QVERIFY(stagesPerGpu);
            stagesPerGpu->setValue(1);
            const QModelIndex gpus = tree->groupIndex(DeviceTreeModel::Gpus);
            const QModelIndex a100s = tree->index(0, 0, tree->groupIndex(DeviceTreeModel::Catalogue));
            tree->setData(a100s, Qt::Unchecked, Qt::CheckStateRole);
            tree->setData(tree->index(0, 0, gpus), Qt::Checked, Qt::CheckStateRole);
            tree->setData(tree->index(1, 0, gpus), Qt::Checked, Qt::CheckStateRole);
            QCOMPARE(QString::fromStdString(model.plan().deviceSpec), QString("cuda:0x1,cuda:1x1"));
            QCOMPARE(model.plan().devices.size(), size_t(2));
            const LinkSpec& link = model.plan().devices[0].linkToNext;
            QCOMPARE(link.name, peers ? catalogDevice("H100").peerLink.name : hostStagedGpuLink().name);
            const SessionRequest request = sessionRequestFor(model.design());
            QCOMPARE(request.train.backend, std::string("cuda:0"));
            QCOMPARE(request.train.stageBackends, (std::vector<std::string>{"cuda:0", "cuda:1"}));
        }
    }
};

} // namespace lpm::gui

QTEST_MAIN(lpm::gui::DesignModelTest)
#include "test_gui_design_model.moc"
