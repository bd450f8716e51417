#include "schedule_comparison_model.h"

#include <QBrush>
#include <QFont>
#include <QStringList>

#include "byte_text.h"

namespace lpm::gui {

ScheduleComparisonModel::ScheduleComparisonModel(QObject* parent) : QAbstractTableModel(parent) {}

void ScheduleComparisonModel::compare(const Plan& plan)
{
    beginResetModel();
    choice_ = chooseSchedule(plan, false);
    endResetModel();
}

QString ScheduleComparisonModel::scheduleAt(int row) const
{
    return row >= 0 && size_t(row) < choice_.candidates.size()
               ? QString::fromStdString(choice_.candidates[size_t(row)].schedule)
               : QString();
}

bool ScheduleComparisonModel::recomputeAt(int row) const
{
    return row >= 0 && size_t(row) < choice_.candidates.size() && choice_.candidates[size_t(row)].recompute;
}

std::optional<std::vector<int>> ScheduleComparisonModel::coreGroupsAt(int row) const
{
    if (row < 0 || size_t(row) >= choice_.candidates.size() || !choice_.candidates[size_t(row)].problem.empty())
        return std::nullopt;
    std::vector<int> groups;
    for (const PlanDeviceEntry& device : choice_.candidates[size_t(row)].plan.devices)
        groups.push_back(device.replicas);
    return groups;
}

int ScheduleComparisonModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(choice_.candidates.size());
}

int ScheduleComparisonModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ScheduleComparisonModel::text(const ScheduleCandidate& candidate, int column) const
{
    if (column == Schedule)
        return QString::fromStdString(candidate.schedule);
    if (column == Recompute)
        return candidate.recompute ? tr("yes") : tr("no");
    if (column == Cores) {
        if (!candidate.replicated || !candidate.problem.empty())
            return candidate.replicated ? tr("searched") : QString::fromUtf8("–");
        QStringList cores;
        for (const PlannedStage& stage : candidate.plan.stages)
            cores << QString::number(stage.replicas);
        return cores.join(", ");
    }
    if (!candidate.problem.empty())
        return column == IterationMs ? tr("not planned: %1").arg(QString::fromStdString(candidate.problem)) : QString();
    const Prediction& prediction = candidate.prediction;
    switch (column) {
    case IterationMs:
        return QString::number(prediction.iterationSeconds * 1e3, 'f', 2);
    case Speedup:
        return QString::number(prediction.speedup, 'f', 2) + QString::fromUtf8("×");
    case Bubble:
        return QString::number(prediction.bubbleFraction * 100.0, 'f', 1) + " %";
    case Memory: {
        const StagePrediction& stage = largestStage(prediction);
        return tr("%1 of %2").arg(bytesText(stage.memoryBytes), bytesText(stage.capacityBytes));
    }
    case Exact:
        return candidate.exact ? tr("yes") : tr("no");
    default:
        return QString();
    }
}

QVariant ScheduleComparisonModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount)
        return {};
    const ScheduleCandidate& candidate = choice_.candidates[size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
        return text(candidate, index.column());
    case Qt::FontRole:
        if (index.row() == choice_.chosen) {
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        return {};
    case Qt::ForegroundRole:
        if (index.column() == Memory && candidate.problem.empty() && !candidate.fits)
            return QBrush(Qt::red);
        return {};
    default:
        return {};
    }
}

QVariant ScheduleComparisonModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Schedule:
        return tr("Schedule");
    case Recompute:
        return tr("Recompute");
    case Cores:
        return tr("Cores");
    case IterationMs:
        return tr("Iteration ms");
    case Speedup:
        return tr("Speedup");
    case Bubble:
        return tr("Bubble");
    case Memory:
        return tr("Largest stage memory");
    case Exact:
        return tr("Exact");
    default:
        return {};
    }
}

} // namespace lpm::gui
