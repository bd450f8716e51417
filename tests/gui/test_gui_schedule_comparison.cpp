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
};

} // namespace lpm::gui

QTEST_MAIN(lpm::gui::ScheduleComparisonTest)
#include "test_gui_schedule_comparison.moc"
