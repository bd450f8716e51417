// One undoable edit of a design: the whole Design before and after, so undo
// and redo restore it exactly. Consecutive moves of one dragged cut (the same
// non-zero merge id) merge into a single step.
#pragma once

#include <QUndoCommand>

#include "train/design.h"

namespace lpm::gui {

class DesignModel;

class DesignEditCommand : public QUndoCommand {
public:
    DesignEditCommand(DesignModel* model, Design before, Design after, const QString& text, int mergeId);

    void undo() override;
    void redo() override;
    int id() const override { return mergeId_ == 0 ? -1 : 1; }
    bool mergeWith(const QUndoCommand* other) override;

private:
    DesignModel* model_;
    Design before_;
    Design after_;
    int mergeId_;
};

} // namespace lpm::gui
