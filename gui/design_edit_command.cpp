#include "design_edit_command.h"

#include "design_model.h"

namespace lpm::gui {

DesignEditCommand::DesignEditCommand(DesignModel* model, Design before, Design after, const QString& text, int mergeId)
    : QUndoCommand(text), model_(model), before_(std::move(before)), after_(std::move(after)), mergeId_(mergeId)
{
}

void DesignEditCommand::undo()
{
    model_->applyDesign(before_);
}

void DesignEditCommand::redo()
{
    model_->applyDesign(after_);
}

bool DesignEditCommand::mergeWith(const QUndoCommand* other)
{
    const auto* next = static_cast<const DesignEditCommand*>(other); // same id(): same class
    if (next->mergeId_ != mergeId_)
        return false;
    after_ = next->after_;
    return true;
}

} // namespace lpm::gui
