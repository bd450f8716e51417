// The units panel: every unit of the model in a table (unit_table_model.h),
// sortable by any column, under a filter that keeps the units whose kind,
// settings or ONNX node names contain its text (ignoring case), with a count
// of what it keeps. Choosing a row shows that unit in the network view;
// clicking a block there chooses its row. For networks of hundreds of units,
// where the network view shows a few at a time.
#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace lpm::gui {

class DesignModel;
class UnitTableModel;

class UnitsPanel : public QWidget {
    Q_OBJECT

public:
    explicit UnitsPanel(DesignModel* model, QWidget* parent = nullptr);

    UnitTableModel* unitTable() const { return units_; }
    QTableView* tableView() const { return table_; }
    QLineEdit* filterEdit() const { return filter_; }
    int shownRows() const; // after the filter
    // The unit of the current row, or -1.
    int currentUnit() const;
    void retranslate();

public slots:
    // Makes `unit`'s row current and scrolls to it; clears the filter if it hides the unit.
    void chooseUnit(int unit);

signals:
    void unitChosen(int unit); // the user made a unit's row current

protected:
    void changeEvent(QEvent* event) override;

private:
    void updateCount();

    UnitTableModel* units_;
    QSortFilterProxyModel* filtered_;
    QTableView* table_;
    QLineEdit* filter_;
    QLabel* count_;
    bool choosing_ = false; // chooseUnit is moving the current row: no unitChosen
};

} // namespace lpm::gui
