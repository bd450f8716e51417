#include "units_panel.h"

#include <QEvent>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

#include "design_model.h"
#include "unit_table_model.h"

namespace lpm::gui {

UnitsPanel::UnitsPanel(DesignModel* model, QWidget* parent) : QWidget(parent)
{
    units_ = new UnitTableModel(model, this);
    filtered_ = new QSortFilterProxyModel(this);
    filtered_->setSourceModel(units_);
    filtered_->setFilterRole(UnitTableModel::SearchRole);
    filtered_->setFilterKeyColumn(UnitTableModel::Unit);
    filtered_->setFilterCaseSensitivity(Qt::CaseInsensitive);
    filtered_->setSortRole(UnitTableModel::SortRole);

    filter_ = new QLineEdit(this);
    filter_->setObjectName("unitFilter");
    filter_->setClearButtonEnabled(true);
    count_ = new QLabel(this);
    table_ = new QTableView(this);
    table_->setObjectName("unitTable");
    table_->setModel(filtered_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(UnitTableModel::Unit, Qt::AscendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setWordWrap(false);
    table_->verticalHeader()->hide();
    // Fixed row heights and no resizing to contents: a table of hundreds of
    // rows lays out and scrolls without measuring every cell.
    table_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setColumnWidth(UnitTableModel::Unit, 40);
    table_->setColumnWidth(UnitTableModel::Settings, 160);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(filter_);
    layout->addWidget(table_, 1);
    layout->addWidget(count_);

    connect(filter_, &QLineEdit::textChanged, this, [this](const QString& text) {
        filtered_->setFilterFixedString(text);
        updateCount();
    });
    connect(filtered_, &QAbstractItemModel::modelReset, this, &UnitsPanel::updateCount);
    connect(filtered_, &QAbstractItemModel::rowsInserted, this, &UnitsPanel::updateCount);
    connect(filtered_, &QAbstractItemModel::rowsRemoved, this, &UnitsPanel::updateCount);
    connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                if (!choosing_ && current.isValid())
                    emit unitChosen(currentUnit());
            });
    retranslate();
}

int UnitsPanel::shownRows() const
{
    return filtered_->rowCount();
}

int UnitsPanel::currentUnit() const
{
    const QModelIndex current = table_->currentIndex();
    return current.isValid() ? filtered_->mapToSource(current).row() : -1;
}

void UnitsPanel::chooseUnit(int unit)
{
    if (unit < 0 || unit >= units_->rowCount())
        return;
    QModelIndex row = filtered_->mapFromSource(units_->index(unit, UnitTableModel::Unit));
    if (!row.isValid()) { // the filter hides it
        filter_->clear();
        row = filtered_->mapFromSource(units_->index(unit, UnitTableModel::Unit));
    }
    choosing_ = true;
    table_->setCurrentIndex(row);
    table_->scrollTo(row);
    choosing_ = false;
}

void UnitsPanel::updateCount()
{
    count_->setText(tr("%1 of %2 units shown").arg(filtered_->rowCount()).arg(units_->rowCount()));
}

void UnitsPanel::retranslate()
{
    filter_->setPlaceholderText(tr("Filter by kind, settings or ONNX node name"));
    filter_->setToolTip(tr("Keeps the units whose kind, settings or ONNX node names contain this text"));
    units_->retranslate();
    updateCount();
}

void UnitsPanel::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QWidget::changeEvent(event);
}

} // namespace lpm::gui
