#include "schedule_comparison_dialog.h"

#include <algorithm>

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

#include "design_model.h"
#include "schedule_comparison_model.h"

namespace lpm::gui {

ScheduleComparisonDialog::ScheduleComparisonDialog(DesignModel* design, QWidget* parent)
    : QDialog(parent), design_(design), comparison_(new ScheduleComparisonModel(this))
{
    setObjectName("scheduleComparison");
    setWindowTitle(tr("Compare schedules"));
    explanation_ = new QLabel(tr("Every schedule predicted on these devices, each with its own cut. Bold: the "
                                 "fastest exact schedule that fits the devices' memory."),
                              this);
    explanation_->setWordWrap(true);
    table_ = new QTableView(this);
    table_->setModel(comparison_);
    table_->verticalHeader()->setVisible(false);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    use_ = buttons->addButton(QString(), QDialogButtonBox::AcceptRole);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(explanation_);
    layout->addWidget(table_, 1);
    layout->addWidget(buttons);

    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(use_, &QPushButton::clicked, this, [this] {
        const int row = rowToUse();
        if (row >= 0)
            design_->setSchedule(comparison_->scheduleAt(row), comparison_->recomputeAt(row),
                                 comparison_->coreGroupsAt(row));
        accept();
    });
    comparison_->compare(design_->plan());
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &ScheduleComparisonDialog::updateUseButton);
    updateUseButton();
    resize(720, 360);
}

int ScheduleComparisonDialog::rowToUse() const
{
    const QModelIndexList selected = table_->selectionModel()->selectedRows();
    return !selected.isEmpty() ? selected.front().row() : comparison_->choice().chosen;
}

QString ScheduleComparisonDialog::scheduleToUse() const
{
    return comparison_->scheduleAt(rowToUse());
}

void ScheduleComparisonDialog::updateUseButton()
{
    const QString schedule = scheduleToUse();
    const std::optional<std::vector<int>> groups = comparison_->coreGroupsAt(rowToUse());
    const bool replicated = groups && std::any_of(groups->begin(), groups->end(), [](int r) { return r > 1; });
    use_->setEnabled(!schedule.isEmpty());
    use_->setText(schedule.isEmpty()                     ? tr("Use schedule")
                  : comparison_->recomputeAt(rowToUse()) ? tr("Use %1 with recomputation").arg(schedule)
                  : replicated                           ? tr("Use %1 with replicated stages").arg(schedule)
                                                         : tr("Use %1").arg(schedule));
}

} // namespace lpm::gui
