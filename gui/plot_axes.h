// Axis tickers whose tick labels never collide: a numeric ticker that picks
// its step from the axis' pixel length and the width of its own labels, and
// a category ticker that labels every k-th category when they would crowd.
// Both keep the axis rect's end margins wide enough that the first and last
// labels stay inside the plot. fitPlotAxes() installs them on a plot;
// fitInsetLegend() keeps a legend off a plot too small for it.
#pragma once

#include <qcustomplot.h>

namespace lpm::gui {

// Ticks at 1, 2 or 5 × 10^k (and at least `minimumStep` apart, 1 for counts):
// the finest such step at which the widest label on the axis' current range,
// plus a gap of one text line (1.5 on vertical axes), fits between two ticks.
class FittedTicker : public QCPAxisTicker {
public:
    explicit FittedTicker(QCPAxis* axis, double minimumStep = 0.0);

    // The step for `range` on an axis `lengthPx` pixels long.
    double fittedStep(const QCPRange& range, double lengthPx);

    void generate(const QCPRange& range, const QLocale& locale, QChar formatChar, int precision, QVector<double>& ticks,
                  QVector<double>* subTicks, QVector<QString>* tickLabels) override;

protected:
    double getTickStep(const QCPRange& range) override;

private:
    // Extent (px) along the axis of the widest label of ticks k·step in `range`.
    double widestLabel(const QCPRange& range, double step);

    QCPAxis* axis_;
    double minimumStep_;
};

// QCPAxisTickerText whose labels (at integer keys, one per category) are
// thinned to every k-th when neighbours would overlap on a short axis.
class FittedTextTicker : public QCPAxisTickerText {
public:
    explicit FittedTextTicker(QCPAxis* axis);

    void generate(const QCPRange& range, const QLocale& locale, QChar formatChar, int precision, QVector<double>& ticks,
                  QVector<double>* subTicks, QVector<QString>* tickLabels) override;

protected:
    QVector<double> createTickVector(double tickStep, const QCPRange& range) override;

private:
    QCPAxis* axis_;
};

// Installs a FittedTicker on the plot's bottom and left axes (integer steps
// on those named in `countAxes`) and re-lays the plot out once more whenever
// its axis rect changed size after the ticks were chosen (QCustomPlot picks
// ticks before it lays out, so a resize would otherwise keep stale ticks).
void fitPlotAxes(QCustomPlot* plot, const QList<QCPAxis*>& countAxes = {});

// Shows the legend inside the plot's axis rect only where it fits in it
// (at most half its height): on a small plot it would cover the data and
// the tick labels, and the plot's owner names the series elsewhere.
void fitInsetLegend(QCustomPlot* plot);

// Pixel length of `axis` in its axis rect as last laid out.
double axisLengthPx(const QCPAxis* axis);

// The font QCustomPlot measures and draws `axis`' tick labels with.
QFont tickLabelDrawFont(const QCPAxis* axis);

} // namespace lpm::gui
