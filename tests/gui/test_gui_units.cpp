// The units panel and the network view at scale: the unit table's rows,
// stages and times, which follow a dragged cut in place; and on an imported
// network of 304 units, the filter, sorting, a chosen row shown highlighted
// in the network view (and a clicked block chosen in the table), a block
// expanded to its ONNX nodes, the wheel scrolling the row and Ctrl+wheel
// zooming.
#include <QAbstractItemModelTester>
#include <QApplication>
#include <QLineEdit>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTest>
#include <QWheelEvent>

#include "design_model.h"
#include "graph/onnx_reader.h"
#include "gui_test_support.h"
#include "main_window.h"
#include "network_items.h"
#include "network_view.h"
#include "unit_table_model.h"
#include "units_panel.h"

namespace lpm::gui {

using testing::catalogDesign;

class UnitsTest : public QObject {
    Q_OBJECT

private:
    static QString cell(const UnitTableModel& table, int row, int column)
    {
        return table.index(row, column).data().toString();
    }

    // Where unit `unit`'s block is centred, in the view's viewport.
    static QPoint blockCentre(const NetworkView& view, int unit)
    {
        const double x = (NetworkView::gapX(unit) + NetworkView::gapX(unit + 1)) / 2.0;
        return view.mapFromScene(QPointF(x, UnitBlock::height / 2.0));
    }

    static UnitBlock* block(const NetworkView& view, int unit)
    {
        for (QGraphicsItem* item : view.scene()->items())
            if (auto* found = dynamic_cast<UnitBlock*>(item); found && found->unit() == unit)
                return found;
        return nullptr;
    }

    static void wheel(NetworkView& view, int notches, Qt::KeyboardModifiers modifiers = {})
    {
        const QPointF at = view.viewport()->rect().center();
        QWheelEvent event(at, view.viewport()->mapToGlobal(at), QPoint(), QPoint(0, 120 * notches), Qt::NoButton,
                          modifiers, Qt::NoScrollPhase, false);
        QApplication::sendEvent(view.viewport(), &event);
    }

private Q_SLOTS:
    void theTableListsEveryUnitAndFollowsADraggedCut()
    {
        DesignModel model;
        UnitTableModel table(&model);
        QAbstractItemModelTester tester(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(table.rowCount(), 0);
        model.resetDesign(catalogDesign("vgg-mini"));
        const ModelOutline& outline = model.outline();
        QCOMPARE(table.rowCount(), int(outline.units.size()));
        QVERIFY(table.rowCount() > 4);
        for (int row = 0; row < table.rowCount(); ++row) {
            const UnitOutline& unit = outline.units[size_t(row)];
            QCOMPARE(cell(table, row, UnitTableModel::Unit), QString::number(row));
            QCOMPARE(cell(table, row, UnitTableModel::Kind), QString::fromStdString(unit.kind));
            QCOMPARE(cell(table, row, UnitTableModel::Output), QString::fromStdString(unit.outputShape));
            QCOMPARE(cell(table, row, UnitTableModel::Stage), QString::number(model.stageOfUnit(row)));
            QVERIFY(!cell(table, row, UnitTableModel::Milliseconds).isEmpty()); // the catalogue's estimate
            QVERIFY(cell(table, row, UnitTableModel::Nodes).isEmpty());         // the zoo's units have none
            QCOMPARE(table.index(row, UnitTableModel::Flops).data(UnitTableModel::SortRole).toDouble(),
                     unit.cost.forwardFlops);
        }
        // Moving the cut before stage 1 one unit right moves that unit to stage 0, in place.
        QSignalSpy reset(&table, &QAbstractItemModel::modelReset);
        QSignalSpy changed(&table, &QAbstractItemModel::dataChanged);
        const int first = model.plan().stages[1].first;
        QVERIFY(model.plan().stages[1].last > first);
        QVERIFY(model.moveCut(1, first + 1));
        QCOMPARE(reset.count(), 0);
        QVERIFY(changed.count() >= 1);
        QCOMPARE(cell(table, first, UnitTableModel::Stage), QString("0"));
        model.undoStack()->undo();
        QCOMPARE(cell(table, first, UnitTableModel::Stage), QString("1"));
        // Another model resets the rows.
        model.resetDesign(catalogDesign("cnn"));
        QCOMPARE(reset.count(), 1);
        QCOMPARE(table.rowCount(), int(model.outline().units.size()));
    }

    void aNetworkOfHundredsOfUnitsIsFilteredShownAndExpanded()
    {
        if (!onnxImportAvailable())
            QSKIP("this build has no ONNX import (libonnx-dev)");
        MainWindow window;
        window.setPromptOnClose(false);
        window.resize(1280, 860);
        window.designModel()->resetDesign(catalogDesign());
        QVERIFY(window.importOnnxModel(QStringLiteral(LPM_TEST_DATA_DIR "/onnx/mlp-deep-structure.onnx")));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        UnitsPanel* panel = window.unitsPanel();
        NetworkView* network = window.networkView();
        QCOMPARE(panel->shownRows(), 304);

        // The filter reads kinds and ONNX node names, ignoring case.
        panel->filterEdit()->setText("gemm");
        QCOMPARE(panel->shownRows(), 152); // 150 hidden layers, the first and the last
        panel->filterEdit()->setText("/151/");
        QCOMPARE(panel->shownRows(), 1);

        // Choosing the row shows unit 151, far along the row, highlighted and in view.
        QTableView* table = panel->tableView();
        table->setCurrentIndex(table->model()->index(0, 0));
        QCOMPARE(panel->currentUnit(), 151);
        QCOMPARE(network->highlightedUnit(), 151);
        QVERIFY(network->viewport()->rect().contains(blockCentre(*network, 151)));

        // Clicking a block chooses its row, clearing the filter that hid it.
        QTest::mouseClick(network->viewport(), Qt::LeftButton, {}, blockCentre(*network, 150));
        QCOMPARE(panel->currentUnit(), 150);
        QVERIFY(panel->filterEdit()->text().isEmpty());
        QCOMPARE(panel->shownRows(), 304);

        // Double-clicking expands the block to its ONNX node, and folds it again.
        UnitBlock* expanded = block(*network, 150);
        QVERIFY(expanded);
        // Its tooltip keeps its ONNX node under the catalogue's times for it.
        QVERIFY2(expanded->toolTip().contains("ONNX nodes:\n  /150/Relu")
                     && expanded->toolTip().contains("ms per micro-batch"),
                 qPrintable(expanded->toolTip()));
        QVERIFY(expanded->expandable());
        QTest::mouseDClick(network->viewport(), Qt::LeftButton, {}, blockCentre(*network, 150));
        QVERIFY(network->unitExpanded(150));
        QCOMPARE(expanded->boundingRect().height(), UnitBlock::height + 6.0 + UnitBlock::lineHeight);
        QTest::mouseDClick(network->viewport(), Qt::LeftButton, {}, blockCentre(*network, 150));
        QVERIFY(!network->unitExpanded(150));
        QCOMPARE(expanded->boundingRect().height(), UnitBlock::height);

        // The wheel scrolls the row a block per notch; Ctrl+wheel zooms.
        QScrollBar* bar = network->horizontalScrollBar();
        bar->setValue(bar->minimum());
        wheel(*network, -2);
        QCOMPARE(bar->value(), bar->minimum() + int(std::lround(2 * (NetworkView::gapX(1) - NetworkView::gapX(0)))));
        wheel(*network, 1, Qt::ControlModifier);
        QVERIFY(qAbs(network->zoom() - 1.15) < 1e-9);
        for (int notch = 0; notch < 30; ++notch)
            wheel(*network, -1, Qt::ControlModifier);
        QCOMPARE(network->zoom(), 0.25);

        // Sorted by forward FLOPs, the widest layer (784 → 64) comes first.
        table->sortByColumn(UnitTableModel::Flops, Qt::DescendingOrder);
        table->setCurrentIndex(table->model()->index(0, 0));
        QCOMPARE(panel->currentUnit(), 1);
        QCOMPARE(network->highlightedUnit(), 1);
    }
};

} // namespace lpm::gui

QTEST_MAIN(lpm::gui::UnitsTest)
#include "test_gui_units.moc"
