#include "timeline_plot.h"

#include <algorithm>

#include <QCheckBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

#include "plot_axes.h"
#include "timeline_boxes.h"

namespace lpm::gui {

TimelinePlot::TimelinePlot(QWidget* parent) : QWidget(parent)
{
    plot_ = new QCustomPlot(this);
    plot_->setMinimumSize(400, 160);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->axisRect()->setRangeDrag(Qt::Horizontal);
    plot_->axisRect()->setRangeZoom(Qt::Horizontal);
    plot_->yAxis->setRangeReversed(true); // stage 0 on top
    plot_->yAxis->grid()->setVisible(false);
    plot_->legend->setVisible(true);
    plot_->legend->setFont(QFont(plot_->font().family(), 8));
    predictedBoxes_ = new TimelineBoxes(plot_->xAxis, plot_->yAxis, true);
    measuredBoxes_ = new TimelineBoxes(plot_->xAxis, plot_->yAxis, false);
    fitPlotAxes(plot_);

    showPredicted_ = new QCheckBox(this);
    showPredicted_->setChecked(true);
    showMeasured_ = new QCheckBox(this);
    showMeasured_->setChecked(true);
    for (QCheckBox* box : {showPredicted_, showMeasured_})
        connect(box, &QCheckBox::toggled, this, &TimelinePlot::refresh);

    auto* toggles = new QHBoxLayout;
    toggles->addWidget(showPredicted_);
    toggles->addWidget(showMeasured_);
    // Wrapped rather than in the axis label, which a narrow window would cut.
    colourKey_ = new QLabel(this);
    colourKey_->setWordWrap(true);
    toggles->addWidget(colourKey_, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(toggles);
    layout->addWidget(plot_, 1);
    retranslate();
}

void TimelinePlot::setPredicted(const Timeline& timeline, const QStringList& rowNames)
{
    rowNames_ = rowNames;
    predictedBoxes_->setBoxes(TimelineBoxes::boxesOf(timeline, 0));
    refresh();
}

void TimelinePlot::setMeasured(const Timeline& timeline)
{
    measured_ = timeline;
    int lastMiniBatch = 0;
    for (const TimelineEvent& event : timeline.events)
        lastMiniBatch = std::max(lastMiniBatch, event.miniBatch);
    measuredBoxes_->setBoxes(TimelineBoxes::boxesOf(timeline, std::max(0, lastMiniBatch - miniBatchesShown + 1)));
    refresh();
}

void TimelinePlot::clearMeasured()
{
    measured_ = {};
    measuredBoxes_->setBoxes({});
    refresh();
}

int TimelinePlot::predictedBoxCount() const
{
    return int(predictedBoxes_->boxes().size());
}

int TimelinePlot::measuredBoxCount() const
{
    return int(measuredBoxes_->boxes().size());
}

void TimelinePlot::refresh()
{
    predictedBoxes_->setVisible(showPredicted_->isChecked());
    measuredBoxes_->setVisible(showMeasured_->isChecked());
    auto ticker = QSharedPointer<FittedTextTicker>::create(plot_->yAxis); // a stage name per row
    for (int row = 0; row < rowNames_.size(); ++row)
        ticker->addTick(row, rowNames_[row]);
    plot_->yAxis->setTicker(ticker);
    plot_->yAxis->setRange(-0.55, std::max<qsizetype>(1, rowNames_.size()) - 0.45);
    double end = 1.0;
    for (const TimelineBoxes* boxes : {predictedBoxes_, measuredBoxes_})
        if (boxes->visible())
            for (const TimelineBoxes::Box& box : boxes->boxes())
                end = std::max(end, box.endMs);
    plot_->xAxis->setRange(0.0, end * 1.02);
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void TimelinePlot::retranslate()
{
    showPredicted_->setText(tr("Predicted (outlined)"));
    showMeasured_->setText(tr("Measured (filled, last %n mini-batch(es))", nullptr, miniBatchesShown));
    predictedBoxes_->setName(tr("predicted"));
    measuredBoxes_->setName(tr("measured"));
    plot_->xAxis->setLabel(tr("time (ms)"));
    colourKey_->setText(tr("blue: forward, green: backward (its input half where W follows), teal: weight "
                           "gradients (W), orange: update, purple: all-reduce · numbers are micro-batches · gaps "
                           "are bubbles"));
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void TimelinePlot::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

} // namespace lpm::gui
