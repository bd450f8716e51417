// Sets the texts of a form's row labels, in row order (each row's label is a
// QLabel the panel created), for the panels' retranslate().
#pragma once

#include <QFormLayout>
#include <QLabel>
#include <QStringList>

namespace lpm::gui {

inline void setFormLabels(QFormLayout* form, const QStringList& labels)
{
    for (int row = 0; row < labels.size() && row < form->rowCount(); ++row)
        if (auto* label = qobject_cast<QLabel*>(form->itemAt(row, QFormLayout::LabelRole)->widget()))
            label->setText(labels[row]);
}

} // namespace lpm::gui
