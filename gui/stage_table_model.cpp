#include "stage_table_model.h"

#include <algorithm>

#include <QBrush>

#include "byte_text.h"
#include "design_model.h"

namespace lpm::gui {

StageTableModel::StageTableModel(DesignModel* design, QObject* parent) : QAbstractTableModel(parent), design_(design)
{
    connect(design_, &DesignModel::designChanged, this, &StageTableModel::refresh);
    refresh();
}

int StageTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(rows_.size());
}

int StageTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

void StageTableModel::refresh()
{
    const Plan& plan = design_->plan();
    const Prediction& prediction = design_->prediction();
    const bool predicted = design_->predictionError().isEmpty();
    std::vector<Row> rows;
    for (size_t s = 0; s < plan.stages.size(); ++s) {
        const PlannedStage& stage = plan.stages[s];
        Row row;
        row.device = size_t(stage.device) < plan.devices.size()
                         ? QString::fromStdString(plan.devices[size_t(stage.device)].label)
                         : QString("?");
        row.first = stage.first;
        row.last = stage.last;
        row.recompute = stage.recompute;
        row.replicas = stage.replicas;
        row.predicted = predicted && s < prediction.stages.size();
        if (row.predicted)
            row.figures = prediction.stages[s];
        rows.push_back(std::move(row));
    }

    const int before = int(rows_.size());
    const int after = int(rows.size());
    if (after < before) {
        beginRemoveRows({}, after, before - 1);
        rows_.resize(size_t(after));
        endRemoveRows();
    } else if (after > before) {
        beginInsertRows({}, before, after - 1);
        rows_.insert(rows_.end(), rows.begin() + before, rows.end());
        endInsertRows();
    }
    rows_ = std::move(rows);
    const int kept = std::min(before, after);
    if (kept > 0)
        emit dataChanged(index(0, 0), index(kept - 1, ColumnCount - 1));
}

QString StageTableModel::text(int row, int column) const
{
    const Row& stage = rows_[size_t(row)];
    switch (column) {
    case Stage:
        return QString::number(row);
    case Device:
        return stage.device;
    case Units:
        return QString("%1–%2").arg(stage.first).arg(stage.last);
    case Cores:
        return QString::number(stage.replicas);
    default:
        break;
    }
    if (!stage.predicted)
        return {};
    const StagePrediction& figures = stage.figures;
    switch (column) {
    case ComputeMs:
        return QString::number((figures.forwardSeconds + figures.backwardSeconds) * 1e3, 'f', 3);
    case CommunicationMs:
        return QString::number(figures.communicationSeconds * 1e3, 'f', 3);
    case Memory:
        return bytesText(figures.memoryBytes);
    case Busy:
        return QString::number(figures.busyFraction * 100.0, 'f', 0) + " %";
    default:
        return {};
    }
}

QVariant StageTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount)
        return {};
    const Row& stage = rows_[size_t(index.row())];
    const bool memory = index.column() == Memory && stage.predicted;
    switch (role) {
    case Qt::DisplayRole:
        return text(index.row(), index.column());
    case Qt::EditRole:
        if (index.column() == Cores)
            return stage.replicas; // (an int: the view edits it in a spin box)
        return {};
    case Qt::CheckStateRole:
        if (index.column() == Recompute)
            return stage.recompute ? Qt::Checked : Qt::Unchecked;
        return {};
    case Qt::ToolTipRole:
        if (memory)
            return tr("%1 of %2").arg(bytesText(stage.figures.memoryBytes), bytesText(stage.figures.capacityBytes));
        return text(index.row(), index.column()); // in full, where a narrow dock elides it
    case Qt::ForegroundRole:
        if (memory && stage.figures.memoryBytes > stage.figures.capacityBytes)
            return QBrush(Qt::red); // does not fit
        return {};
    default:
        return {};
    }
}

Qt::ItemFlags StageTableModel::flags(const QModelIndex& index) const
{
    Qt::ItemFlags flags = QAbstractTableModel::flags(index);
    if (index.isValid() && index.column() == Recompute)
        flags |= Qt::ItemIsUserCheckable;
    if (index.isValid() && index.column() == Cores)
        flags |= Qt::ItemIsEditable;
    return flags;
}

bool StageTableModel::setData(const QModelIndex& index, const QVariant& value, int role)
{
    if (!index.isValid() || index.row() >= rowCount())
        return false;
    // The design changes and refresh() reports the row (designChanged).
    if (index.column() == Recompute && role == Qt::CheckStateRole)
        return design_->setStageRecompute(index.row(), value.toInt() == Qt::Checked);
    if (index.column() == Cores && role == Qt::EditRole && value.toInt() >= 1)
        return design_->setStageReplicas(index.row(), value.toInt());
    return false;
}

QVariant StageTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        const QString headers[ColumnCount] = {tr("#"),      tr("Device"), tr("Units"), tr("F+B ms"), tr("Comm ms"),
                                              tr("Memory"), tr("Busy"),   tr("R"),     tr("Cores")};
        return headers[section];
    }
    if (role == Qt::ToolTipRole) {
        const QString tips[ColumnCount] = {tr("Stage"),
                                           tr("The device the stage runs on"),
                                           tr("The model's units (layers) in the stage, first–last"),
                                           tr("Forward and backward time per micro-batch (ms)"),
                                           tr("Transfer time per micro-batch: activations in, gradients out (ms)"),
                                           tr("Memory the stage needs / the device's capacity "
                                              "(red: it does not fit)"),
                                           tr("Share of the iteration the device is busy (%)"),
                                           tr("Recompute: the stage keeps only its input per micro-batch in "
                                              "flight and runs its forward again before each backward (less "
                                              "memory, one forward more; the weights stay exact)"),
                                           tr("CPU cores the stage runs on: more than one replicates it, each "
                                              "micro-batch's samples split among them (the weights stay exact)")};
        return tips[section];
    }
    return {};
}

void StageTableModel::retranslate()
{
    emit headerDataChanged(Qt::Horizontal, 0, ColumnCount - 1);
    if (!rows_.empty())
        emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

} // namespace lpm::gui
