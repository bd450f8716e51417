// The plan panel's stage table model without a view: one row per stage with
// the prediction's figures, rows that follow edits in place (a merge removes
// the last row and changes the rest; undo inserts it again), empty figures
// without a prediction, memory over capacity in red, translated headers, and
// the recomputation check box and the cores a stage runs on, undoable edits
// of the design.
#include <QAbstractItemModelTester>
#include <QBrush>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTest>

#include "design_model.h"
#include "gui_test_support.h"
#include "plan_panel.h"
#include "stage_table_model.h"

namespace lpm::gui {

using testing::catalogDesign;

class StageTableModelTest : public QObject {
    Q_OBJECT

private:
    static QString cell(const StageTableModel& table, int row, int column, int role = Qt::DisplayRole)
    {
        return table.index(row, column).data(role).toString();
    }

private Q_SLOTS:
    void rowsShowTheStagesAndTheirPrediction()
    {
        DesignModel model;
        StageTableModel table(&model);
        QAbstractItemModelTester tester(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(table.rowCount(), 0); // no design yet
        QCOMPARE(table.columnCount(), int(StageTableModel::ColumnCount));
        QSignalSpy inserted(&table, &QAbstractItemModel::rowsInserted);
        QSignalSpy reset(&table, &QAbstractItemModel::modelReset);
        model.resetDesign(catalogDesign());
        const Plan& plan = model.plan();
        const Prediction& prediction = model.prediction();
        QVERIFY(model.predictionError().isEmpty());
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(inserted.at(0).at(1).toInt(), 0);
        QCOMPARE(inserted.at(0).at(2).toInt(), model.stageCount() - 1);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(table.rowCount(), model.stageCount());
        for (int s = 0; s < model.stageCount(); ++s) {
            const PlannedStage& stage = plan.stages[size_t(s)];
            const StagePrediction& figures = prediction.stages[size_t(s)];
            QCOMPARE(cell(table, s, StageTableModel::Stage), QString::number(s));
            QCOMPARE(cell(table, s, StageTableModel::Device),
                     QString::fromStdString(plan.devices[size_t(stage.device)].label));
            QCOMPARE(cell(table, s, StageTableModel::Units),
                     QString::fromUtf8("%1–%2").arg(stage.first).arg(stage.last));
            QCOMPARE(cell(table, s, StageTableModel::ComputeMs),
                     QString::number((figures.forwardSeconds + figures.backwardSeconds) * 1e3, 'f', 3));
            QCOMPARE(cell(table, s, StageTableModel::CommunicationMs),
                     QString::number(figures.communicationSeconds * 1e3, 'f', 3));
            QCOMPARE(cell(table, s, StageTableModel::Busy),
                     QString::number(figures.busyFraction * 100.0, 'f', 0) + " %");
            // Every cell's tooltip is its text, but memory's, which adds the capacity.
            QCOMPARE(cell(table, s, StageTableModel::Device, Qt::ToolTipRole), cell(table, s, StageTableModel::Device));
            const QString memory = cell(table, s, StageTableModel::Memory);
            QVERIFY2(memory.endsWith(" MiB") || memory.endsWith(" GiB"), qPrintable(memory));
            const QString tip = cell(table, s, StageTableModel::Memory, Qt::ToolTipRole);
            QVERIFY2(tip.startsWith(memory + " of ") && tip.endsWith(" GiB"),
                     qPrintable(tip));                                                            // an H100's 80 GB
            QVERIFY(!table.index(s, StageTableModel::Memory).data(Qt::ForegroundRole).isValid()); // it fits
        }
    }

    void rowsFollowEditsInPlace()
    {
        DesignModel model;
        model.resetDesign(catalogDesign());
        StageTableModel table(&model);
        QAbstractItemModelTester tester(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const int stages = table.rowCount();
        QVERIFY(stages >= 3);
        QSignalSpy inserted(&table, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&table, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changed(&table, &QAbstractItemModel::dataChanged);
        QSignalSpy reset(&table, &QAbstractItemModel::modelReset);

        QVERIFY(model.mergeStages(0));
        QCOMPARE(table.rowCount(), stages - 1);
        QCOMPARE(removed.count(), 1);
        QCOMPARE(removed.at(0).at(1).toInt(), stages - 1); // the last row goes
        QCOMPARE(changed.count(), 1);                      // the others change in place
        QCOMPARE(changed.at(0).at(0).toModelIndex(), table.index(0, 0));
        QCOMPARE(changed.at(0).at(1).toModelIndex(), table.index(stages - 2, StageTableModel::ColumnCount - 1));
        QCOMPARE(cell(table, 0, StageTableModel::Units),
                 QString::fromUtf8("%1–%2").arg(model.plan().stages[0].first).arg(model.plan().stages[0].last));

        model.undoStack()->undo();
        QCOMPARE(table.rowCount(), stages);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(inserted.at(0).at(1).toInt(), stages - 1);
        QCOMPARE(changed.count(), 2);

        // A cut moved: the same rows, changed.
        const PlannedStage second = model.plan().stages[1];
        QVERIFY(model.moveCut(1, second.first + 1));
        QCOMPARE(changed.count(), 3);
        QCOMPARE(inserted.count() + removed.count(), 2);
        QCOMPARE(cell(table, 1, StageTableModel::Units),
                 QString::fromUtf8("%1–%2").arg(second.first + 1).arg(second.last));
        QCOMPARE(reset.count(), 0);
    }

    void withoutAPredictionOnlyTheCutShows()
    {
        Design design = catalogDesign("vgg-mini", "catalog:H100x2");
        design.plan.schedule = "no-such-schedule";
        DesignModel model;
        model.resetDesign(design);
        QVERIFY(!model.predictionError().isEmpty());
        StageTableModel table(&model);
        QCOMPARE(table.rowCount(), 2);
        QCOMPARE(cell(table, 1, StageTableModel::Device), QString::fromStdString(design.plan.devices[1].label));
        for (int column = StageTableModel::ComputeMs; column < StageTableModel::Cores; ++column) {
            QCOMPARE(cell(table, 1, column), QString());
            QCOMPARE(cell(table, 1, column, Qt::ToolTipRole), QString());
        }
        QCOMPARE(cell(table, 1, StageTableModel::Cores), QString("1")); // part of the cut, not of the prediction
    }

    void memoryOverCapacityIsRed()
    {
        Design design = catalogDesign("vgg-mini", "catalog:H100x2");
        design.plan.devices[1].memoryBytes = 1024;
        DesignModel model;
        model.resetDesign(design);
        QVERIFY(model.predictionError().isEmpty());
        StageTableModel table(&model);
        QVERIFY(!table.index(0, StageTableModel::Memory).data(Qt::ForegroundRole).isValid());
        const QVariant red = table.index(1, StageTableModel::Memory).data(Qt::ForegroundRole);
        QCOMPARE(red.value<QBrush>().color(), QColor(Qt::red));
        QVERIFY(cell(table, 1, StageTableModel::Memory, Qt::ToolTipRole).endsWith(" of 0.0 MiB"));
    }

    void theRecomputeBoxEditsTheStageAndUndoes()
    {
        DesignModel model;
        model.resetDesign(catalogDesign("vgg-mini", "catalog:H100x2"));
        QVERIFY(model.plan().schedule != "dp" && model.stageCount() == 2);
        StageTableModel table(&model);
        QAbstractItemModelTester tester(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
        // Stage 0 keeps two micro-batches in flight under lpm: as inputs alone they take less.
        const QModelIndex box = table.index(0, StageTableModel::Recompute);
        QVERIFY(box.flags() & Qt::ItemIsUserCheckable);
        QVERIFY(!(table.index(0, StageTableModel::Memory).flags() & Qt::ItemIsUserCheckable));
        QCOMPARE(box.data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
        QCOMPARE(model.prediction().stages[0].peakInFlight, 2);
        const int64_t before = model.prediction().stages[0].memoryBytes;
        const double iteration = model.prediction().iterationSeconds;
        QVERIFY(table.setData(box, Qt::Checked, Qt::CheckStateRole));
        QVERIFY(model.plan().stages[0].recompute);
        QVERIFY(!model.plan().stages[1].recompute);
        QVERIFY(!model.plan().recompute); // not every stage
        QCOMPARE(box.data(Qt::CheckStateRole).toInt(), int(Qt::Checked));
        QVERIFY(model.prediction().stages[0].memoryBytes < before);
        QVERIFY(model.prediction().iterationSeconds > iteration);
        QVERIFY(table.setData(table.index(1, StageTableModel::Recompute), Qt::Checked, Qt::CheckStateRole));
        QVERIFY(model.plan().recompute); // now every stage: an Auto-merge keeps it
        QVERIFY(model.autoMerge());
        for (const PlannedStage& stage : model.plan().stages)
            QVERIFY(stage.recompute);
        model.undoStack()->undo();
        model.undoStack()->undo();
        model.undoStack()->undo();
        QVERIFY(!model.plan().stages[0].recompute);
        QCOMPARE(box.data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
        QCOMPARE(model.prediction().stages[0].memoryBytes, before);
        QVERIFY(!table.setData(table.index(0, StageTableModel::Memory), Qt::Checked, Qt::CheckStateRole));
    }

    void theCoresCellReplicatesAStageOnCpuCores()
    {
        DesignModel model;
        model.resetDesign(catalogDesign("cnn", "catalog:A100-80x2"));
        QVERIFY(model.setDevices("cpu:2"));
        model.provideCpuCosts("cnn", 8, testing::fakeCpuCosts(model.unitCount()));
        QVERIFY(model.mergeStages(0));
        model.provideCpuCosts("cnn", 8, testing::fakeCpuCosts(model.unitCount(), 2, 1.8)); // kept for the edit
        StageTableModel table(&model);
        QAbstractItemModelTester tester(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QModelIndex cores = table.index(0, StageTableModel::Cores);
        QVERIFY(cores.flags() & Qt::ItemIsEditable);
        QVERIFY(!(table.index(0, StageTableModel::Units).flags() & Qt::ItemIsEditable));
        QCOMPARE(cores.data().toString(), QString("1"));
        QCOMPARE(cores.data(Qt::EditRole).toInt(), 1);
        QVERIFY(table.setData(cores, 2, Qt::EditRole));
        QCOMPARE(model.plan().stages[0].replicas, 2);
        QCOMPARE(cores.data().toString(), QString("2"));
        QCOMPARE(cell(table, 0, StageTableModel::Device), QString("cpu:0-1"));
        QVERIFY(!table.setData(cores, 0, Qt::EditRole));
        QVERIFY(!table.setData(cores, 5, Qt::EditRole)); // more cores than cpu:2 has
        model.undoStack()->undo();
        QCOMPARE(cores.data().toString(), QString("1"));
        QCOMPARE(cell(table, 0, StageTableModel::Device), QString("cpu:0"));
    }

    void theCoresCellEditsInASpinBoxUpToTheDesignsCores()
    {
        DesignModel model;
        PlanPanel panel(&model);
        model.resetDesign(catalogDesign("cnn", "catalog:A100-80x2"));
        QVERIFY(model.setDevices("cpu:2"));
        model.provideCpuCosts("cnn", 8, testing::fakeCpuCosts(model.unitCount()));
        model.provideCpuCosts("cnn", 8, testing::fakeCpuCosts(model.unitCount(), 2, 1.8));
        QVERIFY(model.mergeStages(0));
        QTableView* view = panel.stageTable();
        const QModelIndex cores = view->model()->index(0, StageTableModel::Cores);
        view->edit(cores);
        auto* editor = view->viewport()->findChild<QSpinBox*>();
        QVERIFY(editor != nullptr);
        QCOMPARE(editor->minimum(), 1);
        QCOMPARE(editor->maximum(), 2); // cpu:2
        QCOMPARE(editor->value(), 1);
        editor->setValue(2);
        view->itemDelegateForColumn(StageTableModel::Cores)->setModelData(editor, view->model(), cores);
        QCOMPARE(model.plan().stages[0].replicas, 2);
        view->edit(view->model()->index(0, StageTableModel::Units)); // not editable: no editor
        QCOMPARE(view->viewport()->findChildren<QSpinBox*>().size(), qsizetype(1));
    }

    void headersAreShortWithTooltips()
    {
        DesignModel model;
        StageTableModel table(&model);
        const QStringList headers{"#", "Device", "Units", "F+B ms", "Comm ms", "Memory", "Busy", "R", "Cores"};
        for (int column = 0; column < table.columnCount(); ++column)
            QCOMPARE(table.headerData(column, Qt::Horizontal).toString(), headers[column]);
        QCOMPARE(table.headerData(0, Qt::Horizontal, Qt::ToolTipRole).toString(), QString("Stage"));
        QVERIFY(table.headerData(5, Qt::Horizontal, Qt::ToolTipRole).toString().contains("red: it does not fit"));
        QSignalSpy header(&table, &QAbstractItemModel::headerDataChanged);
        table.retranslate();
        QCOMPARE(header.count(), 1);
    }
};

} // namespace lpm::gui

QTEST_MAIN(lpm::gui::StageTableModelTest)
#include "test_gui_stage_table_model.moc"
