#include "metric_plots.h"

#include <algorithm>

#include <QComboBox>
#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include "plot_axes.h"

namespace lpm::gui {

namespace {

constexpr int kRedrawIntervalMs = 33; // ~30 Hz
const QColor kPipelinedColour(0x1f, 0x77, 0xb4);
const QColor kReferenceColour(0x88, 0x88, 0x88);
// Small enough that five plots fit beside the docks in a 1280 px wide window;
// the fitted tickers thin the tick labels to what such a plot can show.
constexpr int kPlotMinimumWidth = 120, kPlotMinimumHeight = 170; // px

QCPBars* addSpeedupBars(QCustomPlot* plot, const QBrush& brush, const QPen& pen)
{
    auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
    bars->setBrush(brush);
    bars->setPen(pen);
    bars->setWidth(0.6);
    return bars;
}

QCustomPlot* makePlot(QWidget* parent)
{
    auto* plot = new QCustomPlot(parent);
    plot->setMinimumSize(kPlotMinimumWidth, kPlotMinimumHeight);
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot->legend->setVisible(true);
    plot->legend->setFont(QFont(plot->font().family(), 8));
    for (int run = 0; run < 2; ++run) {
        QCPGraph* graph = plot->addGraph();
        graph->setPen(QPen(run == 0 ? kPipelinedColour : kReferenceColour, run == 0 ? 2.0 : 1.5,
                           run == 0 ? Qt::SolidLine : Qt::DashLine));
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssNone));
    }
    return plot;
}

} // namespace

MetricPlots::MetricPlots(QWidget* parent) : QWidget(parent)
{
    axisChoice_ = new QComboBox(this);
    axisChoice_->addItems({QString(), QString()});
    connect(axisChoice_, &QComboBox::currentIndexChanged, this, [this](int index) { setWallTimeAxis(index == 1); });
    speedupText_ = new QLabel(this);
    runKey_ = new QLabel(this);
    loss_ = makePlot(this);
    accuracy_ = makePlot(this);
    throughput_ = makePlot(this);
    // Accuracy: graphs 0 and 1 the test set (few points, large squares),
    // graphs 2 and 3 its subset evaluated while training (a thin line with
    // dots); loss: graphs 0 and 1 training, 2 and 3 the subset, as there.
    accuracy_->graph(0)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, 8));
    accuracy_->graph(1)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, 8));
    for (QCustomPlot* plot : {accuracy_, loss_})
        for (int run = 0; run < 2; ++run) {
            QCPGraph* graph = plot->addGraph();
            graph->setPen(
                QPen(run == 0 ? kPipelinedColour : kReferenceColour, 1.0, run == 0 ? Qt::SolidLine : Qt::DashLine));
            graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 4));
        }
    accuracy_->yAxis->setRange(0.0, 1.0);
    // The legend bottom right, where a rising accuracy curve is not.
    accuracy_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    for (QCustomPlot* plot : {loss_, accuracy_, throughput_}) {
        fitPlotAxes(plot);
        fitInsetLegend(plot); // else the runs are told apart by runKey_
    }

    speedup_ = new QCustomPlot(this);
    speedup_->setMinimumSize(kPlotMinimumWidth, kPlotMinimumHeight);
    // Measured filled, predicted outlined (as on the timeline), named by a
    // legend under the bars: category tick labels would run together.
    measuredBars_ = addSpeedupBars(speedup_, kPipelinedColour, Qt::NoPen);
    predictedBars_ = addSpeedupBars(speedup_, QColor(0x1f, 0x77, 0xb4, 50), QPen(kPipelinedColour, 1.5));
    fitPlotAxes(speedup_);
    speedup_->xAxis->setTicks(false);
    speedup_->legend->setVisible(true);
    speedup_->legend->setFont(QFont(speedup_->font().family(), 8));
    speedup_->axisRect()->insetLayout()->take(speedup_->legend);
    speedup_->plotLayout()->addElement(1, 0, speedup_->legend);
    speedup_->plotLayout()->setRowStretchFactor(1, 0.001); // the legend's own height
    speedup_->legend->setMargins(QMargins(4, 2, 4, 2));
    scaling_ = makePlot(this);
    scaling_->graph(0)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 6));
    scaling_->setInteractions({});
    fitPlotAxes(scaling_, {scaling_->xAxis}); // whole devices
    fitInsetLegend(scaling_);

    auto* header = new QHBoxLayout;
    header->addWidget(axisChoice_);
    header->addWidget(speedupText_, 1);
    header->addWidget(runKey_);
    auto* grid = new QGridLayout;
    grid->addWidget(loss_, 0, 0);
    grid->addWidget(accuracy_, 0, 1);
    grid->addWidget(throughput_, 0, 2);
    grid->addWidget(speedup_, 0, 3);
    grid->addWidget(scaling_, 0, 4);
    grid->setColumnStretch(3, 0);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(header);
    layout->addLayout(grid, 1);

    redrawTimer_.setInterval(kRedrawIntervalMs);
    connect(&redrawTimer_, &QTimer::timeout, this, &MetricPlots::redraw);
    redrawTimer_.start();
    retranslate();
}

QCustomPlot* MetricPlots::plot(const QString& name) const
{
    if (name == "loss")
        return loss_;
    if (name == "accuracy")
        return accuracy_;
    if (name == "throughput")
        return throughput_;
    if (name == "speedup")
        return speedup_;
    if (name == "scaling")
        return scaling_;
    return nullptr;
}

QStringList MetricPlots::plotNames() const
{
    return {"loss", "accuracy", "throughput", "speedup", "scaling"};
}

MetricPlots::Series* MetricPlots::seriesFor(const QString& name, int series)
{
    if (series < 0 || series > 1)
        return nullptr;
    if (name == "loss")
        return &lossSeries_[size_t(series)];
    if (name == "accuracy")
        return &accuracySeries_[size_t(series)];
    if (name == "throughput")
        return &throughputSeries_[size_t(series)];
    if (name == "subset accuracy")
        return &subsetSeries_[size_t(series)];
    if (name == "subset loss")
        return &subsetLossSeries_[size_t(series)];
    return nullptr;
}

int MetricPlots::pointCount(const QString& name, int series) const
{
    auto* self = const_cast<MetricPlots*>(this);
    const Series* found = self->seriesFor(name, series);
    return found ? int(found->values.size()) : 0;
}

void MetricPlots::clear()
{
    for (auto* all : {&lossSeries_, &accuracySeries_, &throughputSeries_, &subsetSeries_, &subsetLossSeries_})
        for (Series& series : *all)
            series = {};
    measuredSpeedup_ = 0.0;
    markAllDirty();
}

void MetricPlots::addProgress(const SessionProgress& progress)
{
    const TrainProgress& report = progress.progress;
    const size_t run = progress.reference ? 1 : 0;
    const double epochs = double(report.globalStep) / double(std::max<int64_t>(1, report.batchesPerEpoch));
    auto append = [&](Series& series, double value) {
        series.epochs.append(epochs);
        series.seconds.append(report.wallSeconds);
        series.values.append(value);
    };
    if (report.meanLoss > 0.0) {
        append(lossSeries_[run], report.meanLoss);
        dirty_.insert(loss_);
    }
    if (report.samplesPerSecond > 0.0) {
        append(throughputSeries_[run], report.samplesPerSecond);
        dirty_.insert(throughput_);
    }
    if (report.evaluated) {
        append(accuracySeries_[run], report.testAccuracy);
        dirty_.insert(accuracy_);
    }
    if (report.subsetEvaluated) {
        append(subsetSeries_[run], report.subsetAccuracy);
        append(subsetLossSeries_[run], report.subsetLoss);
        dirty_.insert(accuracy_);
        dirty_.insert(loss_);
        if (report.subsetSize != subsetSize_) {
            subsetSize_ = report.subsetSize;
            nameSubsetGraphs();
        }
    }
}

void MetricPlots::setPredictedSpeedups(const std::vector<double>& predictedByDevices, double predicted)
{
    predictedByDevices_ = predictedByDevices;
    predictedSpeedup_ = predicted;
    dirty_.insert(speedup_);
    dirty_.insert(scaling_);
}

void MetricPlots::setMeasuredSpeedup(double measured)
{
    measuredSpeedup_ = measured;
    dirty_.insert(speedup_);
}

void MetricPlots::setWallTimeAxis(bool wallTime)
{
    wallTime_ = wallTime;
    if (axisChoice_->currentIndex() != (wallTime ? 1 : 0))
        axisChoice_->setCurrentIndex(wallTime ? 1 : 0);
    retranslate();
    markAllDirty();
}

void MetricPlots::redraw()
{
    if (dirty_.isEmpty())
        return;
    rebuildGraphs();
    // Only the plots whose data changed: a replot is the expensive part
    // (several milliseconds each under software rendering), and most
    // progress reports touch the loss and throughput plots alone.
    for (QCustomPlot* plot : std::as_const(dirty_))
        plot->replot(QCustomPlot::rpQueuedReplot);
    dirty_.clear();
}

void MetricPlots::markAllDirty()
{
    for (QCustomPlot* plot : {loss_, accuracy_, throughput_, speedup_, scaling_})
        dirty_.insert(plot);
}

void MetricPlots::rebuildGraphs()
{
    // Axes from 0 to a little past the largest value, so that a single point
    // (one evaluation) still gets a readable range.
    // `more` (the live evaluations of the test subset): graphs 2 and 3.
    auto fill = [this](QCustomPlot* plot, const std::array<Series, 2>& all,
                       const std::array<Series, 2>* more = nullptr) {
        double keyMax = 0.0, valueMax = 0.0;
        for (int run = 0; run < (more ? 4 : 2); ++run) {
            const Series& series = run < 2 ? all[size_t(run)] : (*more)[size_t(run - 2)];
            const QVector<double>& keys = wallTime_ ? series.seconds : series.epochs;
            plot->graph(run)->setData(keys, series.values, true);
            for (double key : keys)
                keyMax = std::max(keyMax, key);
            for (double value : series.values)
                valueMax = std::max(valueMax, value);
        }
        plot->xAxis->setRange(0.0, keyMax > 0.0 ? keyMax * 1.05 : 1.0);
        if (plot != accuracy_)
            plot->yAxis->setRange(0.0, valueMax > 0.0 ? valueMax * 1.1 : 1.0);
    };
    fill(loss_, lossSeries_, &subsetLossSeries_);
    fill(accuracy_, accuracySeries_, &subsetSeries_);
    fill(throughput_, throughputSeries_);

    measuredBars_->setData(QVector<double>{1}, QVector<double>{measuredSpeedup_}, true);
    predictedBars_->setData(QVector<double>{2}, QVector<double>{predictedSpeedup_}, true);
    speedup_->xAxis->setRange(0.3, 2.7);
    speedup_->yAxis->setRange(0.0, std::max({1.0, measuredSpeedup_, predictedSpeedup_}) * 1.15);

    QVector<double> devices, predicted, ideal;
    for (size_t n = 0; n < predictedByDevices_.size(); ++n) {
        devices.append(double(n + 1));
        predicted.append(predictedByDevices_[n]);
        ideal.append(double(n + 1));
    }
    scaling_->graph(0)->setData(devices, predicted, true);
    scaling_->graph(1)->setData(devices, ideal, true);
    scaling_->xAxis->setRange(0.5, std::max<double>(2.0, double(devices.size()) + 0.5));
    scaling_->yAxis->setRange(0.0, std::max<double>(2.0, double(devices.size()) + 0.5));

    const QString predictedText =
        predictedSpeedup_ > 0.0 ? QString::number(predictedSpeedup_, 'f', 2) + u'×' : tr("n/a");
    const QString measuredText =
        measuredSpeedup_ > 0.0 ? QString::number(measuredSpeedup_, 'f', 2) + u'×' : tr("not yet");
    speedupText_->setText(tr("Speedup over sequential: measured %1, predicted %2").arg(measuredText, predictedText));
}

void MetricPlots::retranslate()
{
    axisChoice_->setItemText(0, tr("Against epochs"));
    axisChoice_->setItemText(1, tr("Against wall time"));
    const QString xLabel = wallTime_ ? tr("wall time (s)") : tr("epochs");
    for (QCustomPlot* plot : {loss_, accuracy_, throughput_}) {
        plot->xAxis->setLabel(xLabel);
        plot->graph(0)->setName(tr("pipelined"));
        plot->graph(1)->setName(tr("sequential reference"));
    }
    nameSubsetGraphs();
    // The loss, accuracy and throughput plots' pens, for when their legends do not fit.
    runKey_->setText(QString("<span style='color:%1'>&#x2501;&#x2501;</span> %2 &nbsp; "
                             "<span style='color:%3'>&#x254C;&#x254C;</span> %4")
                         .arg(kPipelinedColour.name(), tr("pipelined").toHtmlEscaped(), kReferenceColour.name(),
                              tr("sequential reference").toHtmlEscaped()));
    loss_->yAxis->setLabel(tr("loss"));
    accuracy_->yAxis->setLabel(tr("test accuracy"));
    throughput_->yAxis->setLabel(tr("samples/s"));
    measuredBars_->setName(tr("measured"));
    predictedBars_->setName(tr("predicted"));
    speedup_->yAxis->setLabel(tr("speedup (×)"));
    scaling_->xAxis->setLabel(tr("devices"));
    scaling_->yAxis->setLabel(tr("predicted speedup (×)"));
    scaling_->graph(0)->setName(tr("predicted"));
    scaling_->graph(1)->setName(tr("linear"));
    markAllDirty();
}

// The accuracy legend tells the test set from its subset, the loss legend
// training from the subset (the subset listed once a live evaluation came).
void MetricPlots::nameSubsetGraphs()
{
    // (Short: the legend sits inside a narrow plot. Colour and dashes tell the
    // pipelined run from the reference, as on the other plots.)
    accuracy_->graph(0)->setName(tr("test set"));
    accuracy_->graph(1)->setName(tr("test set (reference)"));
    loss_->graph(0)->setName(tr("training"));
    loss_->graph(1)->setName(tr("training (reference)"));
    for (QCustomPlot* plot : {accuracy_, loss_}) {
        plot->graph(2)->setName(tr("test subset (%1 samples)").arg(subsetSize_));
        plot->graph(3)->setName(tr("test subset (reference)"));
        for (int graph = 2; graph < 4; ++graph) {
            if (subsetSize_ > 0)
                plot->graph(graph)->addToLegend(); // (once: false when already listed)
            else
                plot->graph(graph)->removeFromLegend();
        }
        dirty_.insert(plot);
    }
}

void MetricPlots::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

} // namespace lpm::gui
