#include "network_items.h"

#include <QCursor>
#include <QGraphicsSceneMouseEvent>
#include <QPainter>
#include <QStyleOptionGraphicsItem>

#include "network_view.h"

namespace lpm::gui {

namespace {
constexpr double kHandleHeight = UnitBlock::height + 40.0;
} // namespace

UnitBlock::UnitBlock(int unit, QStringList lines, const QString& toolTip, QStringList nodeLines)
    : unit_(unit), lines_(std::move(lines)), nodeLines_(std::move(nodeLines))
{
    baseToolTip_ = toolTip.isEmpty() ? lines_.join('\n') : toolTip;
    setToolTip(baseToolTip_);
    setCacheMode(QGraphicsItem::DeviceCoordinateCache);
}

void UnitBlock::setToolTipDetail(const QString& detail)
{
    setToolTip(detail.isEmpty() ? baseToolTip_ : baseToolTip_ + "\n\n" + detail);
}

void UnitBlock::setExpanded(bool expanded)
{
    if (expanded == expanded_ || (expanded && !expandable()))
        return;
    prepareGeometryChange();
    expanded_ = expanded;
    update();
}

void UnitBlock::setHighlighted(bool highlighted)
{
    highlighted_ = highlighted;
    update();
}

void UnitBlock::setStage(int stage, bool overCapacity)
{
    if (stage == stage_ && overCapacity == overCapacity_)
        return;
    stage_ = stage;
    overCapacity_ = overCapacity;
    update();
}

QRectF UnitBlock::boundingRect() const
{
    return QRectF(0.0, 0.0, width, expanded_ ? height + 6.0 + lineHeight * double(nodeLines_.size()) : height);
}

void UnitBlock::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*)
{
    const QColor colour = NetworkView::stageColour(stage_);
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(QPen(overCapacity_ ? QColor(Qt::red) : colour.darker(highlighted_ ? 250 : 140),
                         overCapacity_ || highlighted_ ? 3.0 : 1.2));
    painter->setBrush(colour.lighter(175));
    painter->drawRoundedRect(boundingRect().adjusted(1, 1, -1, -1), 7, 7);
    if (option->levelOfDetailFromTransform(painter->worldTransform()) < 0.45)
        return; // too small to read
    QFont font = painter->font();
    font.setPointSizeF(8.0);
    font.setBold(true);
    painter->setFont(font);
    painter->setPen(Qt::black);
    const QRectF text = boundingRect().adjusted(7, 5, -7, -5);
    auto drawLine = [&](double top, const QString& line) {
        const QRectF row(text.left(), top, text.width(), lineHeight);
        painter->drawText(row, Qt::AlignLeft | Qt::AlignVCenter,
                          painter->fontMetrics().elidedText(line, Qt::ElideRight, int(row.width())));
    };
    for (int line = 0; line < lines_.size(); ++line) {
        if (line == 1) {
            font.setBold(false);
            painter->setFont(font);
        }
        drawLine(text.top() + line * lineHeight, lines_[line]);
    }
    if (!expanded_)
        return;
    painter->setPen(QPen(colour.darker(140), 0.8));
    painter->drawLine(QPointF(text.left(), height - 2.0), QPointF(text.right(), height - 2.0));
    painter->setPen(Qt::black);
    font.setPointSizeF(7.0);
    painter->setFont(font);
    for (int line = 0; line < nodeLines_.size(); ++line)
        drawLine(height + 1.0 + line * lineHeight, nodeLines_[line]);
}

CutHandle::CutHandle(NetworkView* view, int stage) : view_(view), stage_(stage)
{
    setAcceptHoverEvents(true);
    setCursor(Qt::SizeHorCursor);
    setZValue(10.0);
}

void CutHandle::placeAt(int gap)
{
    gap_ = gap;
    setPos(NetworkView::gapX(gap), -20.0);
}

void CutHandle::setMerging(bool merging)
{
    merging_ = merging;
    update();
}

QRectF CutHandle::boundingRect() const
{
    return QRectF(-width / 2.0, 0.0, width, kHandleHeight);
}

void CutHandle::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*)
{
    painter->setRenderHint(QPainter::Antialiasing);
    const QColor colour = merging_   ? QColor(0xd6, 0x27, 0x28)
                          : hovered_ ? QColor(0x22, 0x22, 0x22)
                                     : QColor(0x55, 0x55, 0x55);
    painter->setPen(Qt::NoPen);
    painter->setBrush(colour);
    painter->drawRoundedRect(QRectF(-3.0, 0.0, 6.0, kHandleHeight), 3, 3);
    painter->drawEllipse(QPointF(0.0, kHandleHeight / 2.0), 7.0, 7.0);
    painter->setPen(QPen(Qt::white, 1.5));
    painter->drawLine(QPointF(-3.0, kHandleHeight / 2.0), QPointF(3.0, kHandleHeight / 2.0));
}

void CutHandle::mousePressEvent(QGraphicsSceneMouseEvent* event)
{
    event->accept(); // keeps the following move and release events
}

void CutHandle::mouseMoveEvent(QGraphicsSceneMouseEvent* event)
{
    view_->dragHandle(this, view_->gapAt(event->scenePos().x()));
}

void CutHandle::mouseReleaseEvent(QGraphicsSceneMouseEvent* event)
{
    view_->dropHandle(this, view_->gapAt(event->scenePos().x()));
}

void CutHandle::hoverEnterEvent(QGraphicsSceneHoverEvent*)
{
    hovered_ = true;
    update();
}

void CutHandle::hoverLeaveEvent(QGraphicsSceneHoverEvent*)
{
    hovered_ = false;
    update();
}

} // namespace lpm::gui
