// The plan panel's "Compare schedules" table as a table model: the design's
// model, devices and micro-batches under every schedule (chooseSchedule,
// core/sim/schedule_choice.h), one row per schedule without and one with
// activation recomputation, and on CPU cores whose profiles on several cores
// the design has, one with the stage replication the planner picks,
//
//   0 Schedule    its name; the chosen one (fastest exact one that fits) in bold
//   1 Recompute   whether every stage recomputes its activations
//   2 Cores       the cores of each stage ("2, 1"), for replicated rows
//   3 Iteration   predicted steady-state iteration (ms)
//   4 Speedup     over sequential on the fastest device
//   5 Bubble      share of the devices' time idle (%)
//   6 Memory      the largest stage's memory against its capacity (red when over)
//   7 Exact       whether the weights equal sequential's bit for bit
//
// A schedule that cannot be planned on the design shows why in its row.
// compare() replaces every row (modelReset).
#pragma once

#include <optional>
#include <vector>

#include <QAbstractTableModel>
#include <QString>

#include "sim/schedule_choice.h"

namespace lpm::gui {

class ScheduleComparisonModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { Schedule, Recompute, Cores, IterationMs, Speedup, Bubble, Memory, Exact, ColumnCount };

    explicit ScheduleComparisonModel(QObject* parent = nullptr);

    // Predicts every schedule for `plan` (its model, costs, devices and batch).
    void compare(const Plan& plan);
    const ScheduleChoice& choice() const { return choice_; }
    QString scheduleAt(int row) const;
    bool recomputeAt(int row) const; // false outside the rows
    // The cores of each device entry of the row's plan (all 1 but on
    // replicated rows), for DesignModel::setSchedule; nullopt outside the rows
    // and on rows that could not be planned.
    std::optional<std::vector<int>> coreGroupsAt(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QString text(const ScheduleCandidate& candidate, int column) const;
    ScheduleChoice choice_;
};

} // namespace lpm::gui
