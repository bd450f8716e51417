// The scene items of the network view: a unit's block and a cut's handle.
#pragma once

#include <QGraphicsItem>
#include <QString>

namespace lpm::gui {

class NetworkView;

// One unit: a rounded box with its index and kind, settings, output shape,
// parameters, forward MFLOP and profiled time per micro-batch; expanded, it
// grows downwards to list its ONNX nodes. Painted through a cache of its
// pixels (the view scrolls hundreds of them), and without text when zoomed
// out too far to read it.
class UnitBlock : public QGraphicsItem {
public:
    static constexpr double width = 132.0;
    static constexpr double height = 112.0; // collapsed
    static constexpr double lineHeight = 15.0;

    // `lines` are drawn in the block; `toolTip` (default: the lines) shows
    // on hover; `nodeLines`, the ONNX nodes, only when expanded.
    UnitBlock(int unit, QStringList lines, const QString& toolTip = {}, QStringList nodeLines = {});

    int unit() const { return unit_; }
    // The tooltip given at construction, then `detail` (the unit's times on
    // its stage's device) under it; an empty detail leaves the first alone.
    void setToolTipDetail(const QString& detail);
    void setStage(int stage, bool overCapacity);
    // Drawn with a thick outline: the unit Find Unit last found.
    void setHighlighted(bool highlighted);
    bool highlighted() const { return highlighted_; }
    bool expandable() const { return !nodeLines_.isEmpty(); }
    void setExpanded(bool expanded); // no effect on a block without node lines
    bool expanded() const { return expanded_; }
    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    int unit_;
    QStringList lines_;
    QString baseToolTip_;
    QStringList nodeLines_;
    int stage_ = 0;
    bool overCapacity_ = false;
    bool highlighted_ = false;
    bool expanded_ = false;
};

// The cut before stage `stage`: a vertical bar in a gap between blocks,
// dragged horizontally from gap to gap.
class CutHandle : public QGraphicsItem {
public:
    static constexpr double width = 16.0;

    CutHandle(NetworkView* view, int stage);

    int stage() const { return stage_; }
    int gap() const { return gap_; }
    void placeAt(int gap);         // moves the bar to a gap
    void setMerging(bool merging); // drawn as "drop here to merge"
    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent* event) override;
    void mouseMoveEvent(QGraphicsSceneMouseEvent* event) override;
    void mouseReleaseEvent(QGraphicsSceneMouseEvent* event) override;
    void hoverEnterEvent(QGraphicsSceneHoverEvent* event) override;
    void hoverLeaveEvent(QGraphicsSceneHoverEvent* event) override;

private:
    NetworkView* view_;
    int stage_;
    int gap_ = 0;
    bool merging_ = false;
    bool hovered_ = false;
};

} // namespace lpm::gui
