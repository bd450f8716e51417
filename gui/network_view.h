// The network view: the model's units as a row of blocks (type, output
// shape, parameters, FLOPs and the profiled milliseconds on their stage's
// device), coloured by stage, under a band naming each stage's device.
// Partition boundaries are handles between blocks: drag one to move the cut
// (the prediction follows every step of the drag), drop it on a neighbouring
// cut or an end of the row to merge the two stages it separates. The context
// menu splits a stage before a unit or merges stages. All edits go through the
// DesignModel, so they are undoable.
//
// For networks of hundreds of units: the mouse wheel scrolls the row
// (Ctrl+wheel zooms, from a quarter of the size to one and a half times);
// double-clicking an imported unit expands its block to list its ONNX nodes
// (again to fold it); clicking a block says which unit it is (unitClicked),
// and showUnit brings one into view, highlighted.
#pragma once

#include <vector>

#include <QGraphicsView>

class QGraphicsRectItem;
class QGraphicsSimpleTextItem;

namespace lpm::gui {

class CutHandle;
class DesignModel;
class UnitBlock;

class NetworkView : public QGraphicsView {
    Q_OBJECT

public:
    explicit NetworkView(DesignModel* model, QWidget* parent = nullptr);

    // Scene x of the gap before unit `gap` (0 = left end, unitCount = right end).
    static double gapX(int gap);
    // The gap nearest to scene x, clamped to [0, unitCount].
    int gapAt(double sceneX) const;
    int handleCount() const { return int(handles_.size()); }
    CutHandle* handle(int index) const { return handles_.at(size_t(index)); } // the cut before stage index + 1
    static QColor stageColour(int stage);
    // Find Unit: the first unit after the one last found (wrapping round)
    // whose kind, settings or, for an imported model, ONNX node names contain
    // `text` (ignoring case). Highlights it and scrolls to it; -1 and no
    // highlight when none matches.
    int findUnit(const QString& text);
    // The unit shown highlighted (by findUnit or showUnit), or -1.
    int highlightedUnit() const { return found_; }
    void setUnitExpanded(int unit, bool expanded);
    bool unitExpanded(int unit) const;
    // The view's zoom: 1 is the blocks' own size.
    double zoom() const;
    void setZoom(double zoom); // clamped to [0.25, 1.5]

    // Called by a handle while dragged and when dropped (the handle of stage
    // `stage`'s first cut, at `gap`).
    void dragHandle(CutHandle* handle, int gap);
    void dropHandle(CutHandle* handle, int gap);

public slots:
    void refresh();
    // Highlights `unit` and scrolls to it (from the units panel); Find Unit goes on from it.
    void showUnit(int unit);

signals:
    void unitClicked(int unit);

protected:
    void contextMenuEvent(QContextMenuEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;

private:
    UnitBlock* blockAt(const QPoint& viewPosition) const;
    void highlight(int unit); // -1: none
    void fitSceneRect();
    void rebuildBlocks();
    void placeHandles();

    DesignModel* model_;
    QGraphicsScene* scene_;
    std::vector<UnitBlock*> blocks_;
    std::vector<CutHandle*> handles_;        // handles_[k - 1]: cut before stage k
    std::vector<QGraphicsItem*> stageBands_; // one band and caption per stage
    QGraphicsSimpleTextItem* notice_ = nullptr;
    std::string shownModel_;
    int found_ = -1; // the unit Find Unit last found, or -1
    CutHandle* dragging_ = nullptr;
    int dragSerial_ = 0;
};

} // namespace lpm::gui
