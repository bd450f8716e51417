// "Compare schedules" without and with its dialog: one row per schedule with
// its prediction, the fastest exact one that fits in bold, and "Use" applying
// the selected schedule (or the chosen one) to the design.
#include <algorithm>

#include <QAbstractItemModelTester>
#include <QFont>
#include <QItemSelectionModel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

#include "design_model.h"
#include "gui_test_support.h"
#include "plan_panel.h"
#include "schedule/schedule.h"
#include "schedule_comparison_dialog.h"
#include "schedule_comparison_model.h"

namespace lpm::gui {

using testing::catalogDesign;

class ScheduleComparisonTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyScheduleIsARowAndTheChosenOneIsBold()
    {
        DesignModel design;
        design.resetDesign(catalogDesign());
        QVERIFY(design.predictionError().isEmpty());
        ScheduleComparisonModel table;
        QAbstractItemModelTester tester(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy reset(&table, &QAbstractItemModel::modelReset);
        table.compare(design.plan());
        QCOMPARE(reset.count(), 1);
        QCOMPARE(table.rowCount(), 2 * int(scheduleNames().size())); // without and with recomputation
        QCOMPARE(table.columnCount(), int(ScheduleComparisonModel::ColumnCount));
        const ScheduleChoice& choice = table.choice();
        QVERIFY(choice.chosen >= 0);
        const double chosenSeconds = choice.candidates[size_t(choice.chosen)].prediction.iterationSeconds;
        for (int row = 0; row < table.rowCount(); ++row) {
            const ScheduleCandidate& candidate = choice.candidates[size_t(row)];
            QCOMPARE(table.scheduleAt(row), QString::fromStdString(candidate.schedule));
            QCOMPARE(table.recomputeAt(row), row % 2 == 1);
            QCOMPARE(table.index(row, ScheduleComparisonModel::Recompute).data().toString(),
                     candidate.recompute ? QString("yes") : QString("no"));
            QCOMPARE(table.index(row, ScheduleComparisonModel::IterationMs).data().toString(),
                     QString::number(candidate.prediction.iterationSeconds * 1e3, 'f', 2));
            QCOMPARE(table.index(row, ScheduleComparisonModel::Exact).data().toString(),
                     candidate.exact ? QString("yes") : QString("no"));
            const QVariant font = table.index(row, ScheduleComparisonModel::Schedule).data(Qt::FontRole);
            QCOMPARE(font.isValid() && font.value<QFont>().bold(), row == choice.chosen);
            if (candidate.exact && candidate.fits)
                QVERIFY(candidate.prediction.iterationSeconds >= chosenSeconds);
        }
        QVERIFY(!table.headerData(ScheduleComparisonModel::Memory, Qt::Horizontal).toString().isEmpty());
    }

    void useAppliesTheSelectedOrTheChosenSchedule()
    {
        DesignModel design;
        PlanPanel panel(&design);
        QVERIFY(!panel.comparisonButton()->isEnabled()); // no design, no prediction
        design.resetDesign(catalogDesign("vgg-mini", "catalog:H100x4", "1f1b"));
        QVERIFY(panel.comparisonButton()->isEnabled());

        ScheduleComparisonDialog dialog(&design);
        const QString chosen = dialog.comparison()->scheduleAt(dialog.comparison()->choice().chosen);
        QCOMPARE(dialog.scheduleToUse(), chosen);
        QCOMPARE(dialog.useButton()->text(), QString("Use %1").arg(chosen));
        QVERIFY(!dialog.comparison()->recomputeAt(dialog.rowToUse())); // H100s hold vgg-mini's activations
        const int gpipe =
            2 * int(std::find(scheduleNames().begin(), scheduleNames().end(), "gpipe") - scheduleNames().begin());
        dialog.table()->selectRow(gpipe);
        QCOMPARE(dialog.useButton()->text(), QString("Use gpipe"));
        dialog.table()->selectRow(gpipe + 1);
        QCOMPARE(dialog.useButton()->text(), QString("Use gpipe with recomputation"));
        QSignalSpy changed(&design, &DesignModel::designChanged);
        dialog.useButton()->click();
        QCOMPARE(QString::fromStdString(design.plan().schedule), QString("gpipe"));
        QVERIFY(design.plan().recompute);
        for (const PlannedStage& stage : design.plan().stages)
            QVERIFY(stage.recompute);
        QVERIFY(changed.count() >= 1);
        // The schedule box keeps the plan's recomputation.
        QVERIFY(design.setSchedule("1f1b"));
        QVERIFY(design.plan().stages[0].recompute);
    }

    // On CPU cores with a profile on two of them, each schedule that takes
    // replicas gets a row with the planner's replication; "Use" groups the
    // cores as the row does, and a row without replication ungroups them.
    void replicatedRowsShowTheirCoresAndUseGroupsThem()
    {
        DesignModel design;
        design.resetDesign(catalogDesign("cnn", "catalog:A100-80x2"));
        QVERIFY(design.setDevices("cpu:2"));
        design.provideCpuCosts("cnn", 8, testing::fakeCpuCosts(design.unitCount()));
        design.provideCpuCosts("cnn", 8, testing::fakeCpuCosts(design.unitCount(), 2, 1.9)); // (kept)
        QVERIFY(design.mergeStages(0));
        QVERIFY(design.setStageReplicas(0, 2));
        ScheduleComparisonDialog dialog(&design);
        const ScheduleComparisonModel& table = *dialog.comparison();
        int replicatedRow = -1, plainRow = -1;
        for (int row = 0; row < table.rowCount(); ++row) {
            const ScheduleCandidate& candidate = table.choice().candidates[size_t(row)];
            if (candidate.schedule != "1f1b" || candidate.recompute)
                continue;
            (candidate.replicated ? replicatedRow : plainRow) = row;
        }
        QVERIFY(replicatedRow >= 0 && plainRow >= 0);
        // Equal units, teams 1.9 times faster: one stage on both cores beats a cut with its bubble.
        QCOMPARE(table.index(replicatedRow, ScheduleComparisonModel::Cores).data().toString(), QString("2"));
        QCOMPARE(table.index(plainRow, ScheduleComparisonModel::Cores).data().toString(), QString::fromUtf8("–"));
        QCOMPARE(*table.coreGroupsAt(replicatedRow), std::vector<int>{2});
        QCOMPARE(*table.coreGroupsAt(plainRow), (std::vector<int>{1, 1}));
        QVERIFY(!table.coreGroupsAt(table.rowCount()));

        dialog.table()->selectRow(plainRow);
        QCOMPARE(dialog.useButton()->text(), QString("Use 1f1b"));
        dialog.useButton()->click();
        QCOMPARE(design.plan().schedule, std::string("1f1b"));
        QCOMPARE(design.plan().devices.size(), size_t(2));
        QCOMPARE(design.stageCount(), 2);

        ScheduleComparisonDialog again(&design);
        again.table()->selectRow(replicatedRow);
        QCOMPARE(again.useButton()->text(), QString("Use 1f1b with replicated stages"));
        again.useButton()->click();
        QCOMPARE(design.stageCount(), 1);
        QCOMPARE(design.plan().stages[0].replicas, 2);
        QCOMPARE(design.plan().devices[0].label, std::string("cpu:0-1"));
    }
};

} // namespace lpm::gui

QTEST_MAIN(lpm::gui::ScheduleComparisonTest)
#include "test_gui_schedule_comparison.moc"
