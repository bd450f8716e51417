// Live plots of a run (QCustomPlot): loss and test accuracy of the pipelined
// run beside the sequential reference, against epochs or wall time (the
// training loss, and the loss of the test set's fixed subset evaluated while
// training as a thin line with points; accuracy twice: of the test set at
// epoch ends, as markers, and of its subset, as a line with points); samples/s
// over time; speedup, measured beside predicted and predicted for 1..N
// devices. Points are buffered as they arrive and drawn by a ~30 Hz timer
// with a queued replot, so a burst of reports costs one redraw.
#pragma once

#include <array>
#include <vector>

#include <QSet>
#include <QTimer>
#include <QVector>
#include <QWidget>

#include "train/training_session.h"

class QCustomPlot;
class QCPBars;
class QComboBox;
class QLabel;

namespace lpm::gui {

class MetricPlots : public QWidget {
    Q_OBJECT

public:
    explicit MetricPlots(QWidget* parent = nullptr);

    void clear();
    void addProgress(const SessionProgress& progress);
    // predictedByDevices[n - 1]: predicted speedup on the first n devices.
    void setPredictedSpeedups(const std::vector<double>& predictedByDevices, double predicted);
    void setMeasuredSpeedup(double measured);
    void setWallTimeAxis(bool wallTime);

    // The plots by name ("loss", "accuracy", "throughput", "speedup",
    // "scaling"), for export and tests.
    QCustomPlot* plot(const QString& name) const;
    QStringList plotNames() const;
    // Points buffered for run `series` (0 pipelined, 1 reference) of a plot,
    // or of "subset accuracy" and "subset loss" (the live evaluations).
    int pointCount(const QString& name, int series) const;
    void retranslate();

protected:
    void changeEvent(QEvent* event) override;

private:
    struct Series {
        QVector<double> epochs, seconds, values;
    };
    void redraw();
    void rebuildGraphs();
    void markAllDirty();
    void nameSubsetGraphs();
    Series* seriesFor(const QString& name, int series);

    QComboBox* axisChoice_;
    QLabel* speedupText_;
    QLabel* runKey_; // the runs' line styles, beside the speedup text
    QCustomPlot* loss_;
    QCustomPlot* accuracy_;
    QCustomPlot* throughput_;
    QCustomPlot* speedup_;
    QCustomPlot* scaling_;
    QCPBars* measuredBars_;                                                // the speedup plot's bar at x = 1
    QCPBars* predictedBars_;                                               // and at x = 2
    std::array<Series, 2> lossSeries_, accuracySeries_, throughputSeries_; // [reference]
    // [reference]: live evaluations of the test subset
    std::array<Series, 2> subsetSeries_, subsetLossSeries_;
    int64_t subsetSize_ = 0; // its samples (0: none seen yet)
    std::vector<double> predictedByDevices_;
    double predictedSpeedup_ = 0.0;
    double measuredSpeedup_ = 0.0;
    bool wallTime_ = false;
    QSet<QCustomPlot*> dirty_; // replotted at the next redraw tick
    QTimer redrawTimer_;
};

} // namespace lpm::gui
