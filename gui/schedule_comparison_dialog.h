// "Compare schedules": the design's model and devices under every schedule
// (ScheduleComparisonModel) in a table, and a button that applies the
// selected schedule (with or without recomputation, as its row says), or
// else the chosen one, to the design.
#pragma once

#include <QDialog>

class QLabel;
class QPushButton;
class QTableView;

namespace lpm::gui {

class DesignModel;
class ScheduleComparisonModel;

class ScheduleComparisonDialog : public QDialog {
    Q_OBJECT

public:
    // Compares at once, from the design's current plan (which must have a prediction).
    explicit ScheduleComparisonDialog(DesignModel* design, QWidget* parent = nullptr);

    ScheduleComparisonModel* comparison() const { return comparison_; }
    QTableView* table() const { return table_; }
    QPushButton* useButton() const { return use_; }
    // The row "Use" applies: the selected one, or the chosen one (−1: none).
    int rowToUse() const;
    // Its schedule (empty: none).
    QString scheduleToUse() const;

private:
    void updateUseButton();

    DesignModel* design_;
    ScheduleComparisonModel* comparison_;
    QLabel* explanation_;
    QTableView* table_;
    QPushButton* use_;
};

} // namespace lpm::gui
