#include "plot_axes.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>

namespace lpm::gui {

namespace {

constexpr double kDefaultMarginPx = 15.0; // QCPAxisRect's own minimum margins
constexpr int kMaxRelayouts = 3;          // re-layouts in a row before giving up

bool isHorizontal(const QCPAxis* axis)
{
    return QCPAxis::orientation(axis->axisType()) == Qt::Horizontal;
}

// A label's size as QCustomPlot measures it (QCPAxisPainterPrivate::getTickLabelData).
QSizeF labelSize(const QFontMetricsF& metrics, const QString& text)
{
    return metrics.boundingRect(QRectF(), Qt::TextDontClip | Qt::AlignHCenter, text).size();
}

// Extent (px) of a label along its axis, its rotation (degrees) included.
double extentAlong(const QCPAxis* axis, const QSizeF& size)
{
    const double radians = axis->tickLabelRotation() * M_PI / 180.0;
    const double across = std::abs(std::cos(radians)), along = std::abs(std::sin(radians));
    return isHorizontal(axis) ? size.width() * across + size.height() * along
                              : size.height() * across + size.width() * along;
}

// Gap (px) kept between neighbouring labels: a text line, 1.5 on vertical axes.
double labelGap(const QCPAxis* axis, const QFontMetricsF& metrics)
{
    return isHorizontal(axis) ? metrics.height() : 1.5 * metrics.height();
}

// Widens the axis rect's minimum margins at both ends of `axis` to half the
// widest label (plus 2 px), so that a label at either end stays in the plot.
void reserveEndMargins(QCPAxis* axis, double widestPx)
{
    QCPAxisRect* rect = axis->axisRect();
    const int end = int(std::ceil(std::max(kDefaultMarginPx, widestPx / 2.0 + 2.0)));
    QMargins margins = rect->minimumMargins();
    if (isHorizontal(axis)) {
        margins.setLeft(end);
        margins.setRight(end);
    } else {
        margins.setTop(end);
        margins.setBottom(end);
    }
    if (margins != rect->minimumMargins())
        rect->setMinimumMargins(margins);
}

double widestOf(const QCPAxis* axis, const QVector<QString>& labels)
{
    const QFontMetricsF metrics(tickLabelDrawFont(axis));
    double widest = 0.0;
    for (const QString& label : labels)
        if (!label.isEmpty())
            widest = std::max(widest, extentAlong(axis, labelSize(metrics, label)));
    return widest;
}

} // namespace

void fitInsetLegend(QCustomPlot* plot)
{
    QObject::connect(plot, &QCustomPlot::afterLayout, plot, [plot] {
        const QSize wanted = plot->legend->minimumOuterSizeHint();
        const QRect room = plot->axisRect()->insetLayout()->rect(); // where the legend is placed
        plot->legend->setVisible(wanted.width() <= room.width() && 2 * wanted.height() <= room.height());
    });
}

double axisLengthPx(const QCPAxis* axis)
{
    const QRect rect = axis->axisRect()->rect();
    return isHorizontal(axis) ? rect.width() : rect.height();
}

QFont tickLabelDrawFont(const QCPAxis* axis)
{
    QFont font = axis->tickLabelFont();
    if (font.pointSizeF() > 0)
        font.setPointSizeF(font.pointSizeF() + 0.05); // as QCustomPlot draws it
    return font;
}

FittedTicker::FittedTicker(QCPAxis* axis, double minimumStep) : axis_(axis), minimumStep_(minimumStep) {}

double FittedTicker::widestLabel(const QCPRange& range, double step)
{
    const QLocale locale = axis_->parentPlot()->locale();
    const QChar format = axis_->numberFormat().isEmpty() ? QChar('g') : axis_->numberFormat()[0];
    const QFontMetricsF metrics(tickLabelDrawFont(axis_));
    double widest = 0.0;
    const auto first = int64_t(std::ceil(range.lower / step - 1e-9));
    const auto last = int64_t(std::floor(range.upper / step + 1e-9));
    for (int64_t k = first; k <= last; ++k) {
        const QString text = getTickLabel(double(k) * step, locale, format, axis_->numberPrecision());
        widest = std::max(widest, extentAlong(axis_, labelSize(metrics, text)));
    }
    return widest;
}

double FittedTicker::fittedStep(const QCPRange& range, double lengthPx)
{
    const double size = range.size();
    if (!(size > 0.0) || !std::isfinite(size) || lengthPx < 1.0)
        return std::max(minimumStep_, 1.0);
    const QFontMetricsF metrics(tickLabelDrawFont(axis_));
    const double gap = labelGap(axis_, metrics);
    // No step finer than one whose ticks are a label's height plus the gap apart.
    const double finest = std::max(minimumStep_, size * (metrics.height() + gap) / lengthPx);
    double magnitude = std::pow(10.0, std::floor(std::log10(finest)));
    for (;;) {
        for (const double mantissa : {1.0, 2.0, 5.0}) {
            const double step = mantissa * magnitude;
            if (step < finest)
                continue;
            // A step past the whole range leaves at most one tick: nothing to collide.
            if (step >= size || step / size * lengthPx >= widestLabel(range, step) + gap)
                return step;
        }
        magnitude *= 10.0;
    }
}

double FittedTicker::getTickStep(const QCPRange& range)
{
    return fittedStep(range, axisLengthPx(axis_));
}

void FittedTicker::generate(const QCPRange& range, const QLocale& locale, QChar formatChar, int precision,
                            QVector<double>& ticks, QVector<double>* subTicks, QVector<QString>* tickLabels)
{
    QCPAxisTicker::generate(range, locale, formatChar, precision, ticks, subTicks, tickLabels);
    if (tickLabels)
        reserveEndMargins(axis_, widestOf(axis_, *tickLabels));
}

FittedTextTicker::FittedTextTicker(QCPAxis* axis) : axis_(axis) {}

QVector<double> FittedTextTicker::createTickVector(double tickStep, const QCPRange& range)
{
    const QVector<double> all = QCPAxisTickerText::createTickVector(tickStep, range);
    if (all.size() < 2 || !(range.size() > 0.0))
        return all;
    // Categories sit one key apart: that many pixels per key along the axis.
    const double pxPerKey = axisLengthPx(axis_) / range.size();
    const QFontMetricsF metrics(tickLabelDrawFont(axis_));
    double widest = 0.0;
    for (const double key : all)
        widest = std::max(widest, extentAlong(axis_, labelSize(metrics, mTicks.value(key))));
    const double needed = widest + labelGap(axis_, metrics);
    const int every = std::max(1, int(std::ceil(needed / std::max(pxPerKey, 1e-9))));
    QVector<double> kept;
    for (const double key : all)
        if (std::llround(key) % every == 0)
            kept.append(key);
    return kept;
}

void FittedTextTicker::generate(const QCPRange& range, const QLocale& locale, QChar formatChar, int precision,
                                QVector<double>& ticks, QVector<double>* subTicks, QVector<QString>* tickLabels)
{
    QCPAxisTickerText::generate(range, locale, formatChar, precision, ticks, subTicks, tickLabels);
    if (tickLabels)
        reserveEndMargins(axis_, widestOf(axis_, *tickLabels));
}

void fitPlotAxes(QCustomPlot* plot, const QList<QCPAxis*>& countAxes)
{
    for (QCPAxis* axis : {plot->xAxis, plot->yAxis})
        axis->setTicker(QSharedPointer<FittedTicker>::create(axis, countAxes.contains(axis) ? 1.0 : 0.0));
    // Bottom labels start below the lower half of a left label at the axes'
    // corner, so that the two never meet there.
    const QFontMetricsF metrics(tickLabelDrawFont(plot->yAxis));
    const int clear = int(std::ceil(metrics.height() / 2.0)) + 1;
    plot->xAxis->setTickLabelPadding(std::max(plot->xAxis->tickLabelPadding(), clear));
    // Ticks are chosen (QCustomPlot's layout preparation) on the axis rect of
    // the previous layout; when this layout changed an axis' length, lay out
    // and draw once more with ticks for the new length.
    auto lengths = std::make_shared<QHash<QCPAxis*, double>>();
    auto relayouts = std::make_shared<int>(0);
    QObject::connect(plot, &QCustomPlot::beforeReplot, plot, [plot, lengths] {
        for (QCPAxis* axis : plot->axisRect()->axes())
            lengths->insert(axis, axisLengthPx(axis));
    });
    QObject::connect(plot, &QCustomPlot::afterLayout, plot, [plot, lengths, relayouts] {
        bool changed = false;
        for (QCPAxis* axis : plot->axisRect()->axes())
            changed = changed || std::abs(lengths->value(axis, -1.0) - axisLengthPx(axis)) >= 1.0;
        *relayouts = changed ? *relayouts + 1 : 0;
        if (changed && *relayouts <= kMaxRelayouts)
            plot->replot(QCustomPlot::rpQueuedReplot);
    });
}

} // namespace lpm::gui
