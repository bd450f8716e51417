#include "timeline_boxes.h"

#include <algorithm>
#include <limits>

namespace lpm::gui {

TimelineBoxes::TimelineBoxes(QCPAxis* keyAxis, QCPAxis* valueAxis, bool outlined)
    : QCPAbstractPlottable(keyAxis, valueAxis), outlined_(outlined)
{
    setSelectable(QCP::stNone);
}

std::vector<TimelineBoxes::Box> TimelineBoxes::boxesOf(const Timeline& timeline, int firstMiniBatch)
{
    std::vector<Box> boxes;
    double origin = std::numeric_limits<double>::infinity();
    for (const TimelineEvent& event : timeline.events)
        if (event.miniBatch >= firstMiniBatch)
            origin = std::min(origin, event.start);
    for (const TimelineEvent& event : timeline.events)
        if (event.miniBatch >= firstMiniBatch)
            boxes.push_back(
                {event.stage, (event.start - origin) * 1e3, (event.end - origin) * 1e3, event.kind, event.microBatch});
    return boxes;
}

QColor TimelineBoxes::colourOf(ActionKind kind)
{
    return QColor(QRgb(actionKindLook(kind).colour));
}

double TimelineBoxes::selectTest(const QPointF&, bool, QVariant*) const
{
    return -1.0; // boxes are not selectable
}

QCPRange TimelineBoxes::getKeyRange(bool& foundRange, QCP::SignDomain) const
{
    foundRange = !boxes_.empty();
    QCPRange range(0.0, 1.0);
    for (const Box& box : boxes_) {
        range.lower = std::min(range.lower, box.startMs);
        range.upper = std::max(range.upper, box.endMs);
    }
    return range;
}

QCPRange TimelineBoxes::getValueRange(bool& foundRange, QCP::SignDomain, const QCPRange&) const
{
    foundRange = !boxes_.empty();
    int rows = 1;
    for (const Box& box : boxes_)
        rows = std::max(rows, box.row + 1);
    return QCPRange(-0.5, rows - 0.5);
}

void TimelineBoxes::draw(QCPPainter* painter)
{
    QCPAxis* keyAxis = mKeyAxis.data();
    QCPAxis* valueAxis = mValueAxis.data();
    if (!keyAxis || !valueAxis)
        return;
    applyDefaultAntialiasingHint(painter);
    QFont font = painter->font();
    font.setPointSizeF(7.5);
    painter->setFont(font);
    const QRect clip = clipRect();
    for (const Box& box : boxes_) {
        const double top = outlined_ ? box.row - 0.45 : box.row + 0.02;
        const double bottom = outlined_ ? box.row - 0.02 : box.row + 0.45;
        const QRectF rect = QRectF(QPointF(keyAxis->coordToPixel(box.startMs), valueAxis->coordToPixel(top)),
                                   QPointF(keyAxis->coordToPixel(box.endMs), valueAxis->coordToPixel(bottom)))
                                .normalized();
        if (!rect.intersects(clip))
            continue;
        const QColor colour = colourOf(box.kind);
        if (outlined_) {
            QColor light = colour;
            light.setAlpha(60);
            painter->setBrush(light);
            painter->setPen(QPen(colour, 1.2));
        } else {
            painter->setBrush(colour);
            painter->setPen(QPen(colour.darker(130), 0.8));
        }
        painter->drawRect(rect);
        if (box.microBatch >= 0 && rect.width() > 14.0 && rect.height() > 9.0) {
            painter->setPen(outlined_ ? colour.darker(150) : QColor(Qt::white));
            painter->drawText(rect, Qt::AlignCenter, QString::number(box.microBatch));
        }
    }
}

void TimelineBoxes::drawLegendIcon(QCPPainter* painter, const QRectF& rect) const
{
    const QColor colour = colourOf(ActionKind::Forward);
    painter->setPen(QPen(colour, 1.2));
    painter->setBrush(outlined_ ? QBrush(Qt::NoBrush) : QBrush(colour));
    painter->drawRect(rect.adjusted(2, 2, -2, -2));
}

} // namespace lpm::gui
