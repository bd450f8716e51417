// The network view: the model's units as a row of blocks (type, output
// shape, parameters, FLOPs and the profiled milliseconds on their stage's
// device), coloured by stage, under a band naming each stage's device.
// Partition boundaries are handles between blocks: drag one to move the cut
// (the prediction follows every step of the drag), drop it on a neighbouring
// cut or an end of the row to merge the two stages it separates. The context
// menu splits a stage before a unit or merges stages. All edits go through the
// DesignModel, so they are undoable.
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

    // Called by a handle while dragged and when dropped (the handle of stage
    // `stage`'s first cut, at `gap`).
    void dragHandle(CutHandle* handle, int gap);
    void dropHandle(CutHandle* handle, int gap);

public slots:
    void refresh();

protected:
    void contextMenuEvent(QContextMenuEvent* event) override;

private:
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
