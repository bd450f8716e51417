// The device timeline (a Gantt chart in QCustomPlot): one row per stage's
// device, a box per forward, backward, update or all-reduce, coloured by
// kind and labelled by micro-batch; gaps are bubbles. The predicted timeline
// (outlined, upper half of a row) and the measured one (filled, lower half)
// overlay on one time axis; either can be hidden. Drag to pan, wheel to zoom.
#pragma once

#include <QWidget>

#include "schedule/timeline.h"

class QCheckBox;
class QLabel;
class QCustomPlot;

namespace lpm::gui {

class TimelineBoxes;

class TimelinePlot : public QWidget {
    Q_OBJECT

public:
    explicit TimelinePlot(QWidget* parent = nullptr);

    // rowNames[k]: stage k's name. The predicted timeline is drawn as given;
    // of a measured one, the last `miniBatchesShown` mini-batches, shifted to
    // start at 0 so that it lines up with the prediction.
    void setPredicted(const Timeline& timeline, const QStringList& rowNames);
    void setMeasured(const Timeline& timeline);
    void clearMeasured();
    const Timeline& measured() const { return measured_; }
    int predictedBoxCount() const;
    int measuredBoxCount() const;
    QCustomPlot* plot() const { return plot_; }
    void retranslate();

    static constexpr int miniBatchesShown = 2;

protected:
    void changeEvent(QEvent* event) override;

private:
    void refresh();

    QCustomPlot* plot_;
    QCheckBox* showPredicted_;
    QCheckBox* showMeasured_;
    QLabel* colourKey_; // what the boxes' colours and numbers mean, beside the toggles
    TimelineBoxes* predictedBoxes_;
    TimelineBoxes* measuredBoxes_;
    Timeline measured_;
    QStringList rowNames_;
};

} // namespace lpm::gui
