// Every plot of the main window (QCustomPlot), at 1920×1200, 1600×1000 and
// 1280×800, after a run of ~10 steps, a fraction of an epoch and many epochs,
// against epochs and against wall time: no two tick labels overlap and none
// leaves its plot. Label rectangles are computed as QCustomPlot places them
// (QCPAxisPainterPrivate: font +0.05 pt, bounding rect, anchor at the tick,
// rotation about the anchor). The plan table fits its dock at 1600×1000.
#include <cmath>

#include <QHeaderView>
#include <QScrollBar>
#include <QSettings>
#include <QTableView>
#include <QTest>
#include <qcustomplot.h>

#include "main_window.h"
#include "metric_plots.h"
#include "plan_panel.h"
#include "timeline_plot.h"

namespace lpm::gui {

namespace {

struct Label {
    QString axis, text;
    QPolygonF shape; // in the plot widget's pixels
};

// Offset of a label's top-left corner from its anchor, as
// QCPAxisPainterPrivate::getTickLabelDrawOffset gives it for outside labels
// of bottom and left axes (the only ones drawn here).
QPointF drawOffset(const QCPAxis* axis, const QSizeF& size)
{
    const double degrees = axis->tickLabelRotation(), radians = degrees * M_PI / 180.0;
    const double w = size.width(), h = size.height();
    const bool flip = qFuzzyCompare(std::abs(degrees), 90.0);
    if (axis->axisType() == QCPAxis::atBottom) {
        if (qFuzzyIsNull(degrees))
            return {-w / 2.0, 0.0};
        if (degrees > 0)
            return {std::sin(radians) * h / 2.0, 0.0};
        return {-std::cos(-radians) * w - std::sin(-radians) * h / 2.0, std::sin(-radians) * w};
    }
    if (qFuzzyIsNull(degrees))
        return {-w, -h / 2.0};
    if (degrees > 0)
        return {-std::cos(radians) * w, flip ? -w / 2.0 : -std::sin(radians) * w - std::cos(radians) * h / 2.0};
    return {-std::cos(-radians) * w - std::sin(-radians) * h,
            flip ? w / 2.0 : std::sin(-radians) * w - std::cos(-radians) * h / 2.0};
}

// The labels `axis` draws now: one per tick in tickVector(), at coordToPixel().
QVector<Label> tickLabelsOf(QCPAxis* axis, const QString& name)
{
    QVector<Label> labels;
    if (!axis->visible() || !axis->ticks() || !axis->tickLabels())
        return labels;
    const QCPAxis::AxisType type = axis->axisType();
    if (type != QCPAxis::atBottom && type != QCPAxis::atLeft)
        return labels; // top and right axes are hidden in every plot
    QFont font = axis->tickLabelFont();
    if (font.pointSizeF() > 0)
        font.setPointSizeF(font.pointSizeF() + 0.05);
    const QFontMetricsF metrics(font);
    const QRect rect = axis->axisRect()->rect();
    const int distance = std::max(0, std::max(axis->tickLengthOut(), axis->subTickLengthOut()))
                         + axis->tickLabelPadding() + axis->offset();
    const QVector<double> ticks = axis->tickVector();
    const QVector<QString> texts = axis->tickVectorLabels();
    for (int i = 0; i < std::min(ticks.size(), texts.size()); ++i) {
        if (texts[i].isEmpty())
            continue;
        const double position = axis->coordToPixel(ticks[i]);
        const QPointF anchor = type == QCPAxis::atBottom ? QPointF(position, rect.bottom() + distance)
                                                         : QPointF(rect.left() - distance, position);
        QRectF bounds = metrics.boundingRect(QRectF(), Qt::TextDontClip | Qt::AlignHCenter, texts[i]);
        bounds.moveTopLeft({0.0, 0.0});
        QTransform place;
        place.translate(anchor.x(), anchor.y());
        place.translate(drawOffset(axis, bounds.size()).x(), drawOffset(axis, bounds.size()).y());
        place.rotate(axis->tickLabelRotation());
        labels.append({name, texts[i], place.map(QPolygonF(bounds))});
    }
    return labels;
}

double areaOf(const QPolygonF& polygon)
{
    double twice = 0.0;
    for (int i = 0; i < polygon.size(); ++i) {
        const QPointF a = polygon[i], b = polygon[(i + 1) % polygon.size()];
        twice += a.x() * b.y() - b.x() * a.y();
    }
    return std::abs(twice) / 2.0;
}

// "" when the tick labels of `plot` neither overlap (by more than 0.5 px²)
// nor leave the widget, nor lie under the legend; else what is wrong.
QString tickLabelProblems(QCustomPlot* plot, const QString& name)
{
    QVector<Label> labels = tickLabelsOf(plot->xAxis, name + " x");
    labels += tickLabelsOf(plot->yAxis, name + " y");
    const QRectF widget = QRectF(plot->rect()).adjusted(-0.5, -0.5, 0.5, 0.5);
    QStringList problems;
    for (int i = 0; i < labels.size(); ++i) {
        if (!widget.contains(labels[i].shape.boundingRect()))
            problems << QString("%1 label '%2' leaves the plot").arg(labels[i].axis, labels[i].text);
        for (int j = i + 1; j < labels.size(); ++j)
            if (areaOf(labels[i].shape.intersected(labels[j].shape)) > 0.5)
                problems << QString("%1 label '%2' overlaps %3 label '%4'")
                                .arg(labels[i].axis, labels[i].text, labels[j].axis, labels[j].text);
    }
    // A legend (inside the axis rect, or under it) covers no tick label.
    if (plot->legend->visible()) {
        const QRectF legend = plot->legend->outerRect();
        if (!widget.contains(legend))
            problems << name + " legend leaves the plot";
        for (const Label& label : labels)
            if (legend.intersects(label.shape.boundingRect()))
                problems << QString("%1 legend covers %2 label '%3'").arg(name, label.axis, label.text);
    }
    if (labels.isEmpty() && name != "speedup")
        problems << name + " has no tick labels";
    return problems.join("; ");
}

// Progress of a run of `steps` steps of `stepsPerEpoch`, reported every
// `every` steps, pipelined and reference, evaluated at each epoch's end.
void feedRun(MetricPlots& plots, int steps, int stepsPerEpoch, int every, double secondsPerStep)
{
    for (int step = every; step <= steps; step += every) {
        SessionProgress progress;
        TrainProgress& report = progress.progress;
        report.step = step;
        report.totalSteps = steps;
        report.globalStep = step;
        report.batchesPerEpoch = stepsPerEpoch;
        report.meanLoss = 2.3 / (1.0 + 0.01 * step);
        report.samplesPerSecond = 1200.0 + 50.0 * std::sin(step);
        report.wallSeconds = secondsPerStep * step;
        report.evaluated = step % stepsPerEpoch == 0 || step + every > steps;
        report.testAccuracy = 0.9 - 0.5 / (1.0 + step / double(stepsPerEpoch));
        plots.addProgress(progress);
        progress.reference = true;
        report.wallSeconds *= 1.3;
        plots.addProgress(progress);
    }
}

// The window on the default example at `size`, shown; false when it is not exposed.
bool showExampleAt(MainWindow& window, QSize size)
{
    window.setPromptOnClose(false);
    window.openExample(); // the predicted timeline and speedups
    window.resize(size);
    window.show();
    return QTest::qWaitForWindowExposed(&window);
}

} // namespace

class PlotLabelsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        QSettings("LPM Studio", "LPM Studio").clear(); // no saved window layout
    }

    void tickLabelsNeitherOverlapNorLeaveThePlots_data()
    {
        QTest::addColumn<QSize>("windowSize");
        QTest::addColumn<int>("steps");
        QTest::addColumn<int>("stepsPerEpoch");
        QTest::addColumn<int>("every");
        QTest::addColumn<double>("secondsPerStep");
        const QList<QSize> sizes{{1920, 1200}, {1600, 1000}, {1280, 800}};
        for (const QSize& size : sizes) {
            const QByteArray at = QByteArray::number(size.width()) + "x" + QByteArray::number(size.height());
            QTest::newRow(at + " 10 steps") << size << 10 << 469 << 1 << 0.05;
            QTest::newRow(at + " 120 steps of a 938-step epoch") << size << 120 << 938 << 1 << 0.05;
            QTest::newRow(at + " 40 epochs") << size << 40 * 469 << 469 << 67 << 0.05;
        }
    }

    void tickLabelsNeitherOverlapNorLeaveThePlots()
    {
        QFETCH(QSize, windowSize);
        QFETCH(int, steps);
        QFETCH(int, stepsPerEpoch);
        QFETCH(int, every);
        QFETCH(double, secondsPerStep);
        MainWindow window;
        QVERIFY(showExampleAt(window, windowSize));
        QCOMPARE(window.size(), windowSize); // the window's minimum size allows it

        MetricPlots& plots = *window.metricPlots();
        feedRun(plots, steps, stepsPerEpoch, every, secondsPerStep);
        plots.setMeasuredSpeedup(1.02);
        window.timelinePlot()->setMeasured(window.designModel()->prediction().timeline);
        QTRY_COMPARE(plots.plot("loss")->graph(0)->dataCount(), steps / every);

        for (const bool wallTime : {false, true}) {
            plots.setWallTimeAxis(wallTime);
            QTest::qWait(200); // the 30 Hz redraw and any queued re-layout
            const QList<QCustomPlot*> all = window.findChildren<QCustomPlot*>();
            QCOMPARE(all.size(), plots.plotNames().size() + 1); // and the timeline
            for (QCustomPlot* plot : all) {
                QString name = plot == window.timelinePlot()->plot() ? QString("timeline") : QString();
                for (const QString& each : plots.plotNames())
                    if (plots.plot(each) == plot)
                        name = each;
                QVERIFY(!name.isEmpty());
                QVERIFY2(plot->width() > 0 && plot->height() > 0, qPrintable(name));
                const QString problems = tickLabelProblems(plot, name);
                QVERIFY2(problems.isEmpty(), qPrintable((wallTime ? "wall time: " : "epochs: ") + problems));
            }
        }
    }

    // Measured and predicted bars are told apart by a legend inside the plot.
    void speedupBarsAreNamedInALegend()
    {
        MainWindow window;
        QVERIFY(showExampleAt(window, QSize(1600, 1000)));
        window.metricPlots()->setMeasuredSpeedup(1.02);
        QTest::qWait(200);
        QCustomPlot* speedup = window.metricPlots()->plot("speedup");
        QCPLegend* legend = speedup->legend;
        QVERIFY(legend->visible());
        QCOMPARE(legend->itemCount(), 2);
        QStringList names;
        for (int i = 0; i < legend->itemCount(); ++i) {
            auto* item = qobject_cast<QCPPlottableLegendItem*>(legend->item(i));
            QVERIFY(item);
            names << item->plottable()->name();
            QVERIFY(speedup->rect().contains(item->outerRect()));
        }
        QCOMPARE(names, QStringList({"measured", "predicted"}));
    }

    // At 1600×1000 every column of the stage table shows without a scroll bar,
    // for the example's 2 stages and for 8 catalogue stages.
    void planTableFitsItsDockAt1600x1000()
    {
        MainWindow window;
        QVERIFY(showExampleAt(window, QSize(1600, 1000)));
        auto* panel = window.findChild<PlanPanel*>();
        QVERIFY(panel);
        QTableView* table = panel->stageTable();
        for (const QString& devices : {QString(), QString("catalog:H100x8")}) {
            if (!devices.isEmpty())
                QVERIFY(window.designModel()->setDevices(devices));
            QTest::qWait(100);
            QVERIFY(table->model()->rowCount() >= 2);
            QVERIFY2(!table->horizontalScrollBar()->isVisible(), qPrintable(devices));
            int total = 0;
            for (int column = 0; column < table->model()->columnCount(); ++column)
                total += table->horizontalHeader()->sectionSize(column);
            QVERIFY2(total <= table->viewport()->width(),
                     qPrintable(QString("%1 px of columns in %2 px").arg(total).arg(table->viewport()->width())));
        }
    }
};

} // namespace lpm::gui

QTEST_MAIN(lpm::gui::PlotLabelsTest)
#include "test_gui_plot_labels.moc"
